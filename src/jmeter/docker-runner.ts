import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { promisify } from 'node:util'
import type { Logger } from '../util/log.js'
import { PeakcastError } from '../util/errors.js'
import { freshRunOutputs, jmeterArgs, type JmeterProps } from './jmeter-args.js'
import { superviseJmeter } from './jmeter-process.js'
import type { RunResult } from './local-runner.js'

export const DEFAULT_JMETER_IMAGE = 'alpine/jmeter:5.6.3'

export interface DockerCommandOptions {
  jmxPath: string
  outDir: string
  image?: string
  /** user the container runs as, so the files in outDir belong to the runner's user */
  uid?: number
  gid?: number
  /** JVM heap, e.g. "1g" (the image's jmeter script reads HEAP) */
  heap?: string
  /** "host" (default) lets JMeter reach a target on the runner's localhost */
  network?: string
  props?: JmeterProps
  /** a fixed name, so a timed-out container can be killed (killing `docker run` leaves it running) */
  containerName?: string
  dashboard?: boolean
}

/**
 * The exact `docker run` argv: the plan's directory mounted read-only at /plan, outDir at /out,
 * and the image's entrypoint (jmeter) given the same arguments as a local run.
 */
export function dockerRunCommand(o: DockerCommandOptions): string[] {
  const jmx = resolve(o.jmxPath)
  const out = resolve(o.outDir)
  const argv = ['docker', 'run', '--rm']
  if (o.containerName) argv.push('--name', o.containerName)
  if (o.uid !== undefined) argv.push('--user', `${o.uid}:${o.gid ?? o.uid}`)
  argv.push('--network', o.network ?? 'host')
  if (o.heap) argv.push('-e', `HEAP=-Xms${o.heap} -Xmx${o.heap}`)
  argv.push('-v', `${dirname(jmx)}:/plan:ro`, '-v', `${out}:/out`, '-w', '/out', o.image ?? DEFAULT_JMETER_IMAGE)
  argv.push(
    ...jmeterArgs(
      { jmx: `/plan/${basename(jmx)}`, jtl: '/out/results.jtl', log: '/out/jmeter.log', dashboardDir: o.dashboard ? '/out/dashboard' : undefined },
      o.props
    )
  )
  return argv
}

export interface DockerRunOptions extends Omit<DockerCommandOptions, 'containerName' | 'uid' | 'gid'> {
  timeoutMs: number
  /** the container CLI: "docker" (default) or a compatible one such as "podman" */
  dockerCommand?: string
  log: Logger
  signal?: AbortSignal
}

const exec = promisify(execFile)

/** Fails fast with a useful message when no Docker engine answers (client present or not). */
export async function checkDockerEngine(docker = 'docker'): Promise<void> {
  try {
    await exec(docker, ['info', '--format', '{{.ServerVersion}}'], { timeout: 20_000 })
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string }
    const detail = e.code === 'ENOENT' ? `the ${docker} command is not installed` : (e.stderr || e.message).trim().split('\n')[0]
    throw new PeakcastError(
      `no Docker engine is reachable (${detail})`,
      { field: 'engine' },
      'start Docker, or set engine: local to run JMeter from JMETER_HOME (scripts/install-jmeter.sh installs it)'
    )
  }
}

/** Runs the plan in the alpine/jmeter image; same outputs as runJmeterLocal. */
export async function runJmeterDocker(opts: DockerRunOptions): Promise<RunResult> {
  const docker = opts.dockerCommand ?? 'docker'
  await checkDockerEngine(docker)
  if (!existsSync(opts.jmxPath)) throw new PeakcastError('test plan not found', { file: opts.jmxPath })
  const { outDir, jtl, jmeterLog, dashboardDir } = freshRunOutputs(opts.outDir, opts.dashboard)

  const containerName = `peakcast-jmeter-${process.pid}-${Date.now()}`
  const uid = process.getuid?.()
  const gid = process.getgid?.()
  const [, ...args] = dockerRunCommand({ ...opts, outDir, containerName, uid, gid })
  const t0 = Date.now()
  const done = opts.log.step(`JMeter (docker ${opts.image ?? DEFAULT_JMETER_IMAGE}) running ${opts.jmxPath}`)
  try {
    const exitCode = await superviseJmeter({
      command: docker,
      args,
      cwd: outDir,
      timeoutMs: opts.timeoutMs,
      log: opts.log,
      signal: opts.signal,
      what: 'JMeter in Docker',
      afterKill: async () => {
        await exec(docker, ['kill', containerName], { timeout: 20_000 })
      },
      missingHint: 'install Docker, or set engine: local'
    })
    return { jtl, jmeterLog, exitCode, durationMs: Date.now() - t0, ...(dashboardDir ? { dashboardDir } : {}) }
  } finally {
    done()
  }
}
