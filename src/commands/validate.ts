import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { CONFIG_DEFAULTS, parseConfig } from '../config/load-config.js'
import type { PeakcastConfig } from '../config/peakcast-config.js'
import { createCheckRun } from '../github/check-run.js'
import { githubContext, type GitHubRunContext } from '../github/context.js'
import { Git } from '../github/git.js'
import { redact } from '../github/redact.js'
import { upsertStickyComment } from '../github/sticky-comment.js'
import { parseSlo } from '../slo/load-slo.js'
import { writeFileAtomic } from '../util/atomic-write.js'
import { checkWorkload, problemsOf, type FileProblem } from '../workload/check-workload.js'
import { headline, renderValidationReport, valueChanges, verdictOf, workloadChanges, type FileReport } from '../workload/explain-change.js'
import { parseWorkloadYaml } from '../workload/workload-yaml.js'
import type { Command, CommandOutcome, OptionValues } from './command.js'
import type { CommandContext } from './context.js'
import { openGitHubSession } from './github-session.js'

/** Identifies the one validation comment per pull request; a later push edits it in place. */
export const VALIDATE_MARKER = '<!-- peakcast:validate -->'
export const VALIDATE_CHECK_NAME = 'peakcast/validate'

interface PullRequestEvent {
  number: number
  headSha: string
  baseRef: string
}

/** Reads a file's text on the base commit; null when it does not exist there. */
type BaseReader = (path: string) => Promise<string | null>

/**
 * Review support for hand-edited pull requests: validates peakcast.yaml, slo.yaml and every
 * workloads/*.yaml (file:line problems; each .jmx must be what its YAML renders to), explains
 * the effective change against the base branch, and on a pull_request event posts it as one
 * sticky comment plus a check run on the PR head with annotations. `--fix` rewrites stale .jmx.
 */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'Validate the config and workloads and explain their change on a pull request',
  options: [
    { name: 'config', description: 'peakcast.yaml in the checked-out config repository', type: 'string', default: 'peakcast.yaml' },
    { name: 'slo', description: 'slo.yaml (checked when present)', type: 'string', default: 'slo.yaml' },
    { name: 'token', description: 'GitHub token for the comment and the check run', type: 'string', default: '' },
    { name: 'base', description: 'git ref to explain changes against (default: the pull request base branch)', type: 'string', default: '' },
    { name: 'fix', description: 'rewrite each stale or missing .jmx from its YAML', type: 'boolean', default: 'false' }
  ],
  async run(options, ctx) {
    const token = String(options.token ?? '')
    if (token) ctx.log.secret(token)
    try {
      return await validate(options, ctx, token)
    } catch (err) {
      // thrown messages bypass the logger's masking
      throw new Error(redact(err instanceof Error ? err.message : String(err), [token]))
    }
  }
}

async function validate(options: OptionValues, ctx: CommandContext, token: string): Promise<CommandOutcome> {
  const { log } = ctx
  const root = ctx.cwd
  const configAbs = resolve(root, String(options.config))
  const sloAbs = resolve(root, String(options.slo))
  const workloadsAbs = join(dirname(configAbs), 'workloads')
  const gh = githubContext(ctx.env)
  const pr = gh ? pullRequestOf(gh) : undefined
  const git = new Git(root, log, token ? { token, ...(gh ? { serverUrl: gh.serverUrl } : {}) } : {})
  const base = await resolveBase(git, pr, String(options.base ?? ''), log)
  const readBase: BaseReader = async path => {
    if (!base) return null
    const out = await git.exec(['show', `${base.sha}:${path}`], { allowFailure: true })
    return out.exitCode === 0 ? out.stdout : null
  }

  const files: FileReport[] = []
  const configReport = await checkDocument(repoPath(root, configAbs), configAbs, readBase, base !== undefined, (text, file) => parseConfig(text, file))
  files.push(configReport.report)
  const maxChangePercent = (configReport.value as PeakcastConfig | null)?.pullRequest.maxChangePercent ?? CONFIG_DEFAULTS.pullRequest.maxChangePercent
  const sloPath = repoPath(root, sloAbs)
  if (existsSync(sloAbs) || (await readBase(sloPath)) !== null) {
    // the parsed criteria are internal objects: the change is shown on the file's own values
    const slo = (text: string, file: string): unknown => {
      parseSlo(text, file)
      return parseYaml(text)
    }
    files.push((await checkDocument(sloPath, sloAbs, readBase, base !== undefined, slo)).report)
  }

  const workloadsDir = repoPath(root, workloadsAbs)
  const names = new Set(existsSync(workloadsAbs) ? readdirSync(workloadsAbs).filter(f => f.endsWith('.yaml')) : [])
  if (base) {
    const listed = await git.exec(['ls-tree', '--name-only', `${base.sha}:${workloadsDir}`], { allowFailure: true })
    if (listed.exitCode === 0) for (const f of listed.stdout.split('\n').filter(f => f.endsWith('.yaml'))) names.add(f)
  }
  for (const name of [...names].sort()) {
    const abs = join(workloadsAbs, name)
    const path = `${workloadsDir}/${name}`
    const jmxAbs = abs.replace(/\.yaml$/, '.jmx')
    const jmxPath = path.replace(/\.yaml$/, '.jmx')
    const baseText = await readBase(path)
    if (!existsSync(abs)) {
      files.push({ path, kind: 'workload', status: 'removed', problems: [], changes: [], warnings: [] })
      continue
    }
    const text = readFileSync(abs, 'utf8')
    const baseWorkload = baseText === null ? null : parseOrNull(() => parseWorkloadYaml(baseText, path))
    const input = { file: path, text, jmxFile: jmxPath, base: baseWorkload, maxChangePercent }
    let checked = checkWorkload({ ...input, committedJmx: existsSync(jmxAbs) ? readFileSync(jmxAbs, 'utf8') : null })
    if (options.fix === true && checked.jmx !== null && checked.problems.some(p => p.file === jmxPath)) {
      writeFileAtomic(jmxAbs, checked.jmx)
      log.info(`rewrote ${jmxPath} from ${path}: commit it`)
      checked = checkWorkload({ ...input, committedJmx: checked.jmx })
    }
    const changes = checked.workload ? workloadChanges(baseWorkload, checked.workload, checked.changes) : []
    const status = !base ? 'unknown' : baseText === null ? 'added' : changes.length > 0 || (baseWorkload === null) !== (checked.workload === null) ? 'changed' : 'unchanged'
    files.push({ path, kind: 'workload', status, problems: checked.problems, changes, warnings: checked.warnings })
  }

  const report = renderValidationReport({ files, ...(base ? { base: base.ref } : {}) })
  const verdict = verdictOf(files)
  log.info(`validation: ${headline(files)}`)

  const session = pr ? openGitHubSession(token, ctx) : undefined
  if (pr && !session) log.warn('a pull_request event but no token: the comment and the check run are skipped')
  if (pr && session) {
    const { gh: where, octokit } = session
    const comment = await upsertStickyComment({ octokit, owner: where.owner, repo: where.repo, issueNumber: pr.number, marker: VALIDATE_MARKER, body: report })
    log.info(`${comment.operation} the validation comment: ${comment.url}`)
    await createCheckRun({
      octokit,
      owner: where.owner,
      repo: where.repo,
      headSha: pr.headSha,
      name: VALIDATE_CHECK_NAME,
      conclusion: verdict,
      title: headline(files),
      summary: report,
      annotations: files.flatMap(f => f.problems).map(p => ({
        path: p.file,
        startLine: p.line ?? 1,
        level: 'failure' as const,
        message: p.message,
        ...(p.field ? { title: p.field } : {})
      })),
      ...(where.runUrl ? { detailsUrl: where.runUrl } : {})
    })
  }

  const problems = files.flatMap(f => f.problems)
  return {
    text: report,
    summary: report,
    outputs: { verdict },
    ...(problems.length > 0 ? { failure: `${headline(files)}:\n${problems.map(problemLine).join('\n')}` } : {})
  }
}

function pullRequestOf(gh: GitHubRunContext): PullRequestEvent | undefined {
  if (gh.eventName !== 'pull_request' && gh.eventName !== 'pull_request_target') return undefined
  const pull = gh.event.pull_request as { number?: unknown; head?: { sha?: unknown }; base?: { ref?: unknown } } | undefined
  if (typeof pull?.number !== 'number' || typeof pull.head?.sha !== 'string' || typeof pull.base?.ref !== 'string') {
    throw new Error(`the ${gh.eventName} event payload has no pull_request number, head.sha and base.ref`)
  }
  return { number: pull.number, headSha: pull.head.sha, baseRef: pull.base.ref }
}

/** The commit changes are explained against: the PR's base branch as it is now, or --base. */
async function resolveBase(git: Git, pr: PullRequestEvent | undefined, ref: string, log: CommandContext['log']): Promise<{ ref: string; sha: string } | undefined> {
  try {
    if (ref) return { ref, sha: await git.currentSha(ref) }
    if (pr) return { ref: pr.baseRef, sha: await git.fetch(pr.baseRef) }
  } catch (err) {
    log.warn(`cannot read the base ${ref || pr?.baseRef}: ${(err as Error).message}; validating without explaining the change`)
  }
  return undefined
}

/** Validates peakcast.yaml or slo.yaml and lists what its parsed value changes against base. */
async function checkDocument<T>(
  path: string,
  abs: string,
  readBase: BaseReader,
  hasBase: boolean,
  parse: (text: string, file: string) => T
): Promise<{ report: FileReport; value: T | null }> {
  const baseText = await readBase(path)
  if (!existsSync(abs)) {
    const problems: FileProblem[] = baseText === null ? [{ file: path, message: 'not found: every config repository needs one' }] : []
    return { report: { path, kind: kindOf(path), status: baseText === null ? 'unknown' : 'removed', problems, changes: [], warnings: [] }, value: null }
  }
  const text = readFileSync(abs, 'utf8')
  let value: T | null = null
  let problems: FileProblem[] = []
  try {
    value = parse(text, path)
  } catch (err) {
    problems = problemsOf(err, path)
  }
  const before = baseText === null ? null : parseOrNull(() => parse(baseText, path))
  const changes = value === null || !hasBase ? [] : valueChanges(before, value)
  const status = !hasBase ? 'unknown' : baseText === null ? 'added' : changes.length > 0 || (before === null) !== (value === null) ? 'changed' : 'unchanged'
  return { report: { path, kind: kindOf(path), status, problems, changes, warnings: [] }, value }
}

function kindOf(path: string): FileReport['kind'] {
  return /slo\.ya?ml$/.test(path) ? 'slo' : 'config'
}

function parseOrNull<T>(parse: () => T): T | null {
  try {
    return parse()
  } catch {
    return null
  }
}

function repoPath(root: string, abs: string): string {
  const rel = relative(root, abs).split('\\').join('/')
  if (rel.startsWith('..')) throw new Error(`${abs} is outside the checkout ${root}: keep the config repository's files inside it`)
  return rel
}

function problemLine(p: FileProblem): string {
  return `  ${p.line !== undefined ? `${p.file}:${p.line}` : p.file}${p.field ? ` ${p.field}` : ''}: ${p.message}`
}

