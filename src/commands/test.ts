/**
 * `command: test` — on a push to the base branch, run the workloads the push changed (or all)
 * with JMeter, one engine per job: shard k of N sends 1/N of the target rate with its own
 * seed. With one shard it also judges and reports; with more, merge-results does that once
 * all shards have uploaded their results.
 */
import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { loadConfig } from '../config/load-config.js'
import type { ServiceConfig } from '../config/peakcast-config.js'
import { githubContext } from '../github/context.js'
import { Git } from '../github/git.js'
import { runJmeterDocker } from '../jmeter/docker-runner.js'
import { drainSeconds, renderJmx } from '../jmeter/jmx.js'
import { findJmeterHome, runJmeterLocal, type RunResult } from '../jmeter/local-runner.js'
import { shardDir, writeShardMeta, type ShardResult } from '../jmeter/shard-results.js'
import { writeFileAtomic } from '../util/atomic-write.js'
import { PeakcastError } from '../util/errors.js'
import type { Logger } from '../util/log.js'
import { actionRoot } from '../util/paths.js'
import { changedWorkloads } from '../workload/changed-workloads.js'
import type { Workload } from '../workload/workload.js'
import { readWorkloadYaml } from '../workload/workload-yaml.js'
import type { Command, OptionValues } from './command.js'
import type { CommandContext } from './context.js'
import { createReporter, newRelicTarget, REPORT_OPTIONS, reportOutcome, reportService, selectServices, type ReportDeps, type ServiceReport } from './report-run.js'

export type Engine = 'docker' | 'local'

/**
 * The JMeter time limit: the schedule and the plan's drain (jmx.ts peakcast.drain, up to 180 s
 * with behaviour profiles) plus 20 %, plus 3 min for JVM start and the HTML dashboard, plus 5 min
 * for pulling the image with Docker.
 */
export function jmeterTimeoutMs(w: Pick<Workload, 'profiles' | 'test'>, engine: Engine): number {
  const schedule = w.test.rampUp + w.test.duration + drainSeconds(w)
  return Math.ceil(schedule * 1.2 + 180 + (engine === 'docker' ? 300 : 0)) * 1000
}

/** -J properties of shard k of n: 1/n of the rate, seed k + 1 (one shard keeps the plan's default seed 1). */
export function shardProps(targetRps: number, shard: number, shards: number): Record<string, number> {
  return { 'peakcast.rps': Number((targetRps / shards).toFixed(3)), 'peakcast.seed': shard + 1 }
}

export function parseEngine(value: unknown): Engine {
  const v = String(value ?? 'docker')
  if (v === 'docker' || v === 'local') return v
  throw new PeakcastError(`engine must be docker or local, got "${v}"`, { field: 'engine' })
}

export function parseShards(shards: unknown, index: unknown): { shards: number; shard: number } {
  const n = Number(shards ?? 1)
  const k = Number(index ?? 0)
  if (!Number.isInteger(n) || n < 1) throw new PeakcastError(`shards must be a whole number >= 1, got ${String(shards)}`, { field: 'shards' })
  if (!Number.isInteger(k) || k < 0 || k >= n) throw new PeakcastError(`shard-index must be a whole number in 0..${n - 1}, got ${String(index)}`, { field: 'shard-index' })
  return { shards: n, shard: k }
}

export function createTestCommand(deps: ReportDeps = {}): Command {
  return {
    name: 'test',
    summary: 'Run the changed workloads with JMeter and judge them against slo.yaml',
    options: [
      ...REPORT_OPTIONS,
      { name: 'engine', description: 'JMeter engine: docker (alpine/jmeter:5.6.3) or local (JMETER_HOME)', type: 'string', default: 'docker' },
      { name: 'all-workloads', description: 'run every workload, not only those the push changed', type: 'boolean', default: 'false' },
      { name: 'shards', description: 'number of JMeter engines the rate is split over', type: 'number', default: '1' },
      { name: 'shard-index', description: "this engine's index, 0..shards-1", type: 'number', default: '0' }
    ],
    run: (options, ctx) => withCancellation(ctx.log, signal => runTest(options, ctx, deps, signal))
  }
}

export const testCommand = createTestCommand()

async function runTest(options: OptionValues, ctx: CommandContext, deps: ReportDeps, signal: AbortSignal) {
  const { log } = ctx
  const engine = parseEngine(options.engine)
  const { shards, shard } = parseShards(options.shards, options['shard-index'])
  const configPath = resolve(ctx.cwd, String(options.config ?? 'peakcast.yaml'))
  const config = loadConfig(configPath)
  const workloadsDir = join(dirname(configPath), 'workloads')
  const resultsDir = resolve(ctx.cwd, String(options['results-dir'] ?? 'peakcast-results'))
  const services = await servicesToTest(selectServices(config, options.services, configPath), workloadsDir, options['all-workloads'] === true, ctx)
  if (services.length === 0) {
    return { text: 'no workload changed: nothing to test', outputs: { 'results-dir': resultsDir } }
  }
  // configuration mistakes surface before minutes of load, not after
  const reporter = shards === 1 ? createReporter(options, ctx, configPath, deps) : undefined
  const newRelic = new Map(services.map(s => [s.name, newRelicTarget(String(options['newrelic-api-key'] ?? ''), s, ctx.env)]))

  const reports: ServiceReport[] = []
  const ran: string[] = []
  for (const service of services) {
    const yamlPath = join(workloadsDir, `${service.name}.yaml`)
    const workload = readWorkloadYaml(yamlPath)
    if (!workload) {
      log.warn(`${service.name}: no ${yamlPath} yet (merge a forecast pull request first); skipped`)
      continue
    }
    if (workload.service !== service.name) {
      throw new PeakcastError(`workload is for service "${workload.service}"`, { file: yamlPath, field: 'service' }, `name it workloads/${workload.service}.yaml or fix the service field`)
    }
    const outDir = shardDir(resultsDir, service.name, shard)
    const jmx = planToRun(workload, join(workloadsDir, `${service.name}.jmx`), join(outDir, 'plan'), log)
    const t = workload.test
    const props = shardProps(t.targetRps, shard, shards)
    const run = await runEngine(engine, { jmx, outDir, props, timeoutMs: jmeterTimeoutMs(workload, engine), log, signal, env: ctx.env })
    const result: ShardResult = {
      dir: outDir,
      jtl: run.jtl,
      meta: { version: 1, service: service.name, shard, shards, targetRps: t.targetRps, shardRps: props['peakcast.rps'], rampUp: t.rampUp, duration: t.duration, seed: props['peakcast.seed'], engine, exitCode: run.exitCode }
    }
    writeShardMeta(outDir, result.meta)
    ran.push(service.name)
    if (reporter) reports.push(await reportService(reporter, { service: service.name, shards: [result], newRelic: newRelic.get(service.name) }))
  }
  if (ran.length === 0) return { text: 'no workload to run', outputs: { 'results-dir': resultsDir } }
  if (!reporter) {
    return {
      text: `shard ${shard} of ${shards} done for ${ran.join(', ')}; results in ${resultsDir} (command merge-results judges and reports them)`,
      outputs: { 'results-dir': resultsDir }
    }
  }
  return reportOutcome(reports, reporter)
}

/** Changed workloads of the push (all with all-workloads, or off a runner), among the selected services. */
async function servicesToTest(selected: ServiceConfig[], workloadsDir: string, all: boolean, ctx: CommandContext): Promise<ServiceConfig[]> {
  const { log } = ctx
  const gh = githubContext(ctx.env)
  if (all || !gh) {
    if (!all) log.info('not on a GitHub runner: running every workload')
    return selected
  }
  if (!existsSync(workloadsDir)) return []
  const changed = await changedWorkloads({ git: new Git(workloadsDir, log), ...(gh.before ? { before: gh.before } : {}), after: gh.sha, log })
  if (changed === undefined) {
    log.warn('cannot tell which workloads the push changed (no earlier commit in the checkout); running all')
    return selected
  }
  const unknown = changed.filter(n => !selected.some(s => s.name === n))
  if (unknown.length > 0) log.info(`changed workloads not selected (or not in peakcast.yaml): ${unknown.join(', ')}`)
  log.info(`workloads changed by ${gh.sha.slice(0, 12)}: ${changed.join(', ') || 'none'}`)
  return selected.filter(s => changed.includes(s.name))
}

/**
 * The committed .jmx when it is what the YAML renders to; otherwise (missing, or edited by
 * hand, or rendered by another peakcast version) the plan rendered from the reviewed YAML.
 */
function planToRun(w: Workload, jmxPath: string, planDir: string, log: Logger): string {
  const rendered = renderJmx(w)
  if (existsSync(jmxPath) && readFileSync(jmxPath, 'utf8') === rendered) return jmxPath
  log.warn(`${jmxPath} ${existsSync(jmxPath) ? 'differs from what its YAML renders to' : 'is missing'}: running the plan rendered from the YAML`)
  const path = join(planDir, basename(jmxPath))
  writeFileAtomic(path, rendered)
  return path
}

interface EngineRun {
  jmx: string
  outDir: string
  props: Record<string, number>
  timeoutMs: number
  log: Logger
  signal: AbortSignal
  env: NodeJS.ProcessEnv
}

function runEngine(engine: Engine, o: EngineRun): Promise<RunResult> {
  const common = { outDir: o.outDir, props: o.props, timeoutMs: o.timeoutMs, log: o.log, signal: o.signal, dashboard: true }
  if (engine === 'docker') return runJmeterDocker({ ...common, jmxPath: o.jmx })
  return runJmeterLocal({ ...common, jmx: o.jmx, jmeterHome: findJmeterHome(o.env, actionRoot()) })
}

/**
 * A cancelled job gets SIGINT (then SIGTERM): ask JMeter to stop so the JTL is closed
 * properly and what ran is still uploaded.
 */
async function withCancellation<T>(log: Logger, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const onSignal = (sig: NodeJS.Signals) => {
    log.warn(`received ${sig}: stopping JMeter`)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    return await fn(controller.signal)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
