/**
 * Runs the bundled action (dist/index.js) the way a GitHub runner does: a node24 process with
 * each input as INPUT_<NAME> (upper-cased, spaces → "_", hyphens kept), the event payload in a
 * file at GITHUB_EVENT_PATH, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files it appends to.
 * Returns the exit code, stdout/stderr, the parsed outputs and the summary.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const repoRoot = resolve(import.meta.dirname, '../..')
const DIST = join(repoRoot, 'dist', 'index.js')

export interface RunActionOptions {
  inputs: Record<string, string>
  /** the checkout: GITHUB_WORKSPACE and the process's cwd */
  workspace: string
  event?: Record<string, unknown>
  eventName?: string
  /** GITHUB_REPOSITORY, owner/name */
  repository: string
  sha: string
  apiUrl: string
  serverUrl?: string
  runId?: string
  runAttempt?: number
  /** more environment (JMETER_HOME, PATH, NEW_RELIC_ACCOUNT_ID, ...) */
  env?: Record<string, string>
  timeoutMs?: number
}

export interface ActionResult {
  exitCode: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** the `::error::` lines core.setFailed printed, decoded */
  errors: string[]
}

/** The runner's rule (and @actions/core's): `INPUT_${name.replace(/ /g, '_').toUpperCase()}`. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

/** Parses GITHUB_OUTPUT: `name<<DELIM\nvalue\nDELIM` blocks (what @actions/core writes) and `name=value` lines. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name, delim] = heredoc
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i])
      if (i >= lines.length) throw new Error(`GITHUB_OUTPUT: ${name} is not terminated by ${delim}`)
      out[name] = value.join('\n')
    } else if (line.includes('=')) {
      const at = line.indexOf('=')
      out[line.slice(0, at)] = line.slice(at + 1)
    }
  }
  return out
}

/** The node the action's `runs.using: node24` means: node_modules' node 24 when installed. */
function nodeBinary(): string {
  const local = join(repoRoot, 'node_modules', '.bin', 'node')
  return existsSync(local) ? local : process.execPath
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

/**
 * Rebuilds dist/index.js when a source or schema is newer (rollup only: the onnxruntime
 * vendoring step is not needed to run the action's test path). Serialized across workers.
 */
export function ensureDist(): void {
  const built = existsSync(DIST) ? statSync(DIST).mtimeMs : 0
  if (built >= Math.max(newestMtime(join(repoRoot, 'src')), newestMtime(join(repoRoot, 'schemas')))) return
  execFileSync('flock', ['/tmp/dist.lock', 'npx', 'rollup', '--config', 'rollup.config.js'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], timeout: 5 * 60_000 })
}

export async function runAction(o: RunActionOptions): Promise<ActionResult> {
  const dir = mkdtempSync(join(tmpdir(), 'peakcast-runner-'))
  try {
    const eventPath = join(dir, 'event.json')
    const outputPath = join(dir, 'output')
    const summaryPath = join(dir, 'summary')
    writeFileSync(eventPath, JSON.stringify(o.event ?? {}))
    writeFileSync(outputPath, '')
    writeFileSync(summaryPath, '')
    // the runner's environment, not this test process's GitHub-ish variables
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(INPUT_|GITHUB_|RUNNER_|ACTIONS_)/.test(k))) as Record<string, string>
    const env: Record<string, string> = {
      ...base,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: o.workspace,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_EVENT_NAME: o.eventName ?? 'push',
      GITHUB_OUTPUT: outputPath,
      GITHUB_STEP_SUMMARY: summaryPath,
      GITHUB_API_URL: o.apiUrl,
      GITHUB_SERVER_URL: o.serverUrl ?? 'https://github.test',
      GITHUB_REPOSITORY: o.repository,
      GITHUB_SHA: o.sha,
      GITHUB_RUN_ID: o.runId ?? '1',
      GITHUB_RUN_ATTEMPT: String(o.runAttempt ?? 1),
      RUNNER_TEMP: dir,
      ...o.env
    }
    for (const [name, value] of Object.entries(o.inputs)) env[inputEnvName(name)] = value

    const child = spawn(nodeBinary(), [DIST], { cwd: o.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')))
    const timeoutMs = o.timeoutMs ?? 120_000
    const exitCode = await new Promise<number>((resolveExit, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`dist/index.js did not finish within ${timeoutMs} ms; stdout so far:\n${stdout}`))
      }, timeoutMs)
      child.once('error', reject)
      child.once('close', code => {
        clearTimeout(timer)
        resolveExit(code ?? -1)
      })
    })
    const errors = stdout
      .split('\n')
      .filter(l => l.startsWith('::error::'))
      .map(l => l.slice('::error::'.length).replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%'))
    return { exitCode, stdout, stderr, outputs: parseOutputFile(readFileSync(outputPath, 'utf8')), summary: readFileSync(summaryPath, 'utf8'), errors }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
