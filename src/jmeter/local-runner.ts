import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Logger } from '../util/log.js'
import { PeakcastError } from '../util/errors.js'
import { freshRunOutputs, jmeterArgs, type JmeterProps } from './jmeter-args.js'
import { superviseJmeter } from './jmeter-process.js'

export { findJmeterHome } from './jmeter-home.js'

export interface LocalRunOptions {
  jmx: string
  outDir: string
  jmeterHome: string
  props?: JmeterProps
  timeoutMs: number
  /** JVM heap, e.g. "1g" (both -Xms and -Xmx, as JMeter's own launcher script does) */
  heap?: string
  log: Logger
  signal?: AbortSignal
  /** also write JMeter's HTML dashboard into outDir/dashboard */
  dashboard?: boolean
}

export interface RunResult {
  jtl: string
  jmeterLog: string
  exitCode: number
  durationMs: number
  dashboardDir?: string
}

/**
 * Runs JMeter from a local install: `java -jar <home>/bin/ApacheJMeter.jar -n -t ...`.
 * Results go to outDir/results.jtl and outDir/jmeter.log (both replaced: JMeter would append).
 * The exit code is returned as is; the verdict comes from the JTL.
 */
export async function runJmeterLocal(opts: LocalRunOptions): Promise<RunResult> {
  const launcher = join(opts.jmeterHome, 'bin', 'ApacheJMeter.jar')
  if (!existsSync(launcher)) {
    throw new PeakcastError(`${launcher} not found`, { field: 'JMETER_HOME' }, 'run scripts/install-jmeter.sh and point JMETER_HOME at the path it prints')
  }
  const jmx = resolve(opts.jmx)
  if (!existsSync(jmx)) throw new PeakcastError('test plan not found', { file: jmx })
  const { outDir, jtl, jmeterLog, dashboardDir } = freshRunOutputs(opts.outDir, opts.dashboard)

  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java'
  const heap = opts.heap ? [`-Xms${opts.heap}`, `-Xmx${opts.heap}`] : []
  const args = [...heap, '-Djava.awt.headless=true', '-jar', launcher, ...jmeterArgs({ jmx, jtl, log: jmeterLog, dashboardDir }, opts.props)]
  const t0 = Date.now()
  const done = opts.log.step(`JMeter (local ${opts.jmeterHome}) running ${jmx}`)
  try {
    const exitCode = await superviseJmeter({
      command: java,
      args,
      cwd: outDir,
      timeoutMs: opts.timeoutMs,
      log: opts.log,
      signal: opts.signal,
      what: 'JMeter',
      missingHint: 'install a JDK 17+ (JMeter 5.6.3 needs Java 8+) or set JAVA_HOME, or use engine: docker'
    })
    return { jtl, jmeterLog, exitCode, durationMs: Date.now() - t0, ...(dashboardDir ? { dashboardDir } : {}) }
  } finally {
    done()
  }
}
