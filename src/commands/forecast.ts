import { dirname, join, relative, resolve } from 'node:path'
import { loadConfig } from '../config/load-config.js'
import type { PeakcastConfig, ServiceConfig } from '../config/peakcast-config.js'
import { utcDay, WEEK_MS } from '../forecast/calendar.js'
import type { Forecaster } from '../forecast/forecaster.js'
import { resolveForecaster } from '../forecast/resolve.js'
import { createCheckRun, type CheckAnnotation } from '../github/check-run.js'
import { renderForecastPrBody } from '../github/pr-body.js'
import { createOrUpdatePullRequest, type PullRequestResult } from '../github/pull-request.js'
import { redact } from '../github/redact.js'
import { loadTelemetry } from '../telemetry/source.js'
import { HOUR_MS } from '../telemetry/series.js'
import { writeFilesAtomic } from '../util/atomic-write.js'
import { checkWorkload, problemsOf } from '../workload/check-workload.js'
import { headline, renderWorkloadCheckSummary, verdictOf, type FileReport } from '../workload/explain-change.js'
import { learnServiceProfiles } from '../workload/session-mix.js'
import { planWorkload, type WorkloadPlan } from '../workload/plan.js'
import type { Workload } from '../workload/workload.js'
import { readWorkloadYaml } from '../workload/workload-yaml.js'
import type { Command, CommandOutcome } from './command.js'
import type { CommandContext } from './context.js'
import { openGitHubSession, type GitHubSession } from './github-session.js'
import { tableCell } from '../util/markdown.js'

/** What one service's forecast run did. */
interface ServiceResult {
  service: string
  plan?: WorkloadPlan
  pull?: PullRequestResult
  check?: FileReport
  error?: string
}

/**
 * The nightly GitOps job: per service, telemetry → forecast → workloads/<service>.yaml + .jmx;
 * on a runner with a token, one pull request per service on `<branchPrefix><service>` (created,
 * updated in place, or closed when the change disappears) with the validation of the new
 * workload as a check run on its head. Off a runner (no GITHUB_REPOSITORY or no token) the files
 * are written into the checkout instead. Outputs describe the first service.
 */
export const forecastCommand: Command = {
  name: 'forecast',
  summary: 'Forecast next week and open or update one workload pull request per service',
  options: [
    { name: 'config', description: 'peakcast.yaml in the checked-out config repository', type: 'string', default: 'peakcast.yaml' },
    { name: 'services', description: 'comma-separated services to forecast (default: all in peakcast.yaml)', type: 'string', default: '' },
    { name: 'token', description: 'GitHub token for the pull request, its branch and the check run; without one the files are written locally', type: 'string', default: '' },
    { name: 'newrelic-api-key', description: 'New Relic key for services whose telemetry comes from NerdGraph', type: 'string', default: '' }
  ],
  async run(options, ctx) {
    const secrets = [String(options.token ?? ''), String(options['newrelic-api-key'] ?? '')].filter(s => s.length > 0)
    for (const s of secrets) ctx.log.secret(s)
    try {
      return await forecast(options, ctx, secrets)
    } catch (err) {
      // thrown messages bypass the logger's masking: never let a secret ride along
      throw new Error(redact(err instanceof Error ? err.message : String(err), secrets))
    }
  }
}

async function forecast(options: Record<string, unknown>, ctx: CommandContext, secrets: string[]): Promise<CommandOutcome> {
  const { log } = ctx
  const configPath = resolve(ctx.cwd, String(options.config))
  const baseDir = dirname(configPath)
  const config = loadConfig(configPath)
  const services = selectServices(config, String(options.services ?? ''), configPath)
  const session = openGitHubSession(String(options.token ?? ''), ctx)
  if (!session) log.info('not on a GitHub runner with a token: writing the workloads into the checkout instead of a pull request')

  const forecasters = new Map<string, Promise<Forecaster>>()
  const results: ServiceResult[] = []
  for (const service of services) {
    try {
      const key = service.model ?? 'default'
      if (!forecasters.has(key)) forecasters.set(key, resolveForecaster(service.model, baseDir))
      const forecaster = await (forecasters.get(key) as Promise<Forecaster>)
      results.push(await forecastService({ service, config, baseDir, forecaster, session, ctx, apiKey: String(options['newrelic-api-key'] ?? '') }))
    } catch (err) {
      // one service's failure must not keep the others' pull requests from being refreshed
      const message = redact(err instanceof Error ? err.message : String(err), secrets)
      log.warn(`${service.name}: ${message}`)
      results.push({ service: service.name, error: message })
    }
  }
  return outcome(results, session !== undefined)
}

function selectServices(config: PeakcastConfig, list: string, configPath: string): ServiceConfig[] {
  const wanted = list.split(',').map(s => s.trim()).filter(Boolean)
  if (wanted.length === 0) return config.services
  const unknown = wanted.filter(w => !config.services.some(s => s.name === w))
  if (unknown.length > 0) {
    throw new Error(`services: ${unknown.join(', ')} not in ${configPath}; it has ${config.services.map(s => s.name).join(', ')}`)
  }
  return config.services.filter(s => wanted.includes(s.name))
}

async function forecastService(a: {
  service: ServiceConfig
  config: PeakcastConfig
  baseDir: string
  forecaster: Forecaster
  session: GitHubSession | undefined
  ctx: CommandContext
  apiKey: string
}): Promise<ServiceResult> {
  const { service, config, baseDir, session, ctx } = a
  const { log } = ctx
  let done = log.step(`${service.name}: reading telemetry and forecasting`)
  const to = Math.floor(ctx.now / HOUR_MS) * HOUR_MS
  const env = a.apiKey && service.telemetry.type === 'newrelic' ? { ...ctx.env, [service.telemetry.apiKeyEnv ?? 'NEW_RELIC_API_KEY']: a.apiKey } : ctx.env
  const { series, report } = await loadTelemetry(service.telemetry, {
    service: service.name,
    baseDir,
    env,
    log,
    window: { from: to - service.historyWeeks * WEEK_MS, to }
  })
  log.info(`${report.rows} rows from ${report.source}: ${report.gapsFilled} gaps filled, ${report.duplicatesMerged} duplicates merged, ${report.dropped.length} dropped`)
  const learned = await learnServiceProfiles(service, baseDir, log)
  const plan = await planWorkload({ service, series, forecaster: a.forecaster, profiles: learned?.profiles, profilesNote: learned?.note })
  done()

  const yamlAbs = join(baseDir, 'workloads', `${service.name}.yaml`)
  const jmxAbs = join(baseDir, 'workloads', `${service.name}.jmx`)
  const yamlPath = repoPath(ctx.cwd, yamlAbs)
  const jmxPath = repoPath(ctx.cwd, jmxAbs)
  const committed = readCommitted(yamlAbs, yamlPath, log)
  const checked = checkWorkload({
    file: yamlPath,
    text: plan.yaml,
    jmxFile: jmxPath,
    committedJmx: plan.jmx,
    base: committed,
    maxChangePercent: config.pullRequest.maxChangePercent,
    notes: plan.notes
  })
  const check: FileReport = { path: yamlPath, kind: 'workload', status: committed ? 'changed' : 'added', ...checked }
  const { peak, workload } = plan
  log.info(`${service.name}: peak ${peak.day} ${peak.hour}, P90 ${peak.rps.p90.toFixed(1)} rps → target ${workload.test.targetRps} rps; ${checked.changes.length} reviewed parameter(s) changed`)
  for (const w of checked.warnings) log.warn(`${service.name}: ${w}`)

  if (!session) {
    writeFilesAtomic([{ path: yamlAbs, data: plan.yaml }, { path: jmxAbs, data: plan.jmx }])
    return { service: service.name, plan, check }
  }

  const week = utcDay(plan.forecast.start)
  const title = `peakcast: ${service.name} workload for week of ${week} (target ${workload.test.targetRps.toFixed(1)} rps)`
  const body = renderForecastPrBody({
    service: service.name,
    model: plan.forecast.model,
    window: workload.forecast.window,
    peak: { day: peak.day, hour: peak.hour, rps: { p50: peak.rps.p50, p90: peak.rps.p90 } },
    lastWeekPeakRps: plan.lastWeekPeakRps,
    changes: checked.changes,
    history: lastTwoWeeks(plan),
    band: plan.forecast.p50.map((p50, i) => ({
      t: plan.forecast.start + i * plan.forecast.stepMs,
      p10: perSecond(plan.forecast.p10[i], plan.forecast.stepMs),
      p50: perSecond(p50, plan.forecast.stepMs),
      p90: perSecond(plan.forecast.p90[i], plan.forecast.stepMs)
    })),
    anomalies: plan.anomalies,
    warnings: checked.warnings
  })
  const { gh, octokit, git } = session
  const pull = await createOrUpdatePullRequest({
    octokit,
    git,
    owner: gh.owner,
    repo: gh.repo,
    base: gh.defaultBranch,
    branch: `${config.pullRequest.branchPrefix}${service.name}`,
    files: [
      { path: yamlPath, content: plan.yaml },
      { path: jmxPath, content: plan.jmx }
    ],
    commitMessage: `${title}\n\nForecast by ${plan.forecast.model} from telemetry ${workload.forecast.window.from} → ${workload.forecast.window.to}.`,
    title,
    body,
    labels: config.pullRequest.labels,
    reviewers: config.pullRequest.reviewers,
    log
  })

  // a new head needs its own check; an unchanged PR keeps the one it has
  if ((pull.operation === 'created' || pull.operation === 'updated') && pull.headSha) {
    done = log.step(`${service.name}: check run on ${pull.headSha.slice(0, 12)}`)
    const verdict = verdictOf([check])
    await createCheckRun({
      octokit,
      owner: gh.owner,
      repo: gh.repo,
      headSha: pull.headSha,
      name: `peakcast/validate (${service.name})`,
      conclusion: verdict,
      title: `${service.name}: ${headline([check])}`,
      summary: renderWorkloadCheckSummary(check, jmxPath),
      annotations: annotations(check),
      ...(gh.runUrl ? { detailsUrl: gh.runUrl } : {})
    })
    done()
  }
  return { service: service.name, plan, pull, check }
}

/** The committed workload to diff against; an unreadable one is replaced, not fatal. */
function readCommitted(abs: string, path: string, log: CommandContext['log']): Workload | null {
  try {
    return readWorkloadYaml(abs)
  } catch (err) {
    const problems = problemsOf(err, path)
    log.warn(`${path} on the base branch is invalid (${problems.map(p => `${p.file}:${p.line ?? 1} ${p.message}`).join('; ')}); the pull request replaces it`)
    return null
  }
}

function repoPath(root: string, abs: string): string {
  const rel = relative(root, abs).split('\\').join('/')
  if (rel.startsWith('..')) throw new Error(`${abs} is outside the checkout ${root}: keep peakcast.yaml and workloads/ inside the repository`)
  return rel
}

function lastTwoWeeks(plan: WorkloadPlan): { t: number; rps: number }[] {
  const { start, values } = plan.history
  const from = Math.max(0, values.length - 2 * 168)
  return values.slice(from).map((v, i) => ({ t: start + (from + i) * HOUR_MS, rps: perSecond(v, HOUR_MS) }))
}

function perSecond(perStep: number, stepMs: number): number {
  return perStep / (stepMs / 1000)
}

function annotations(f: FileReport): CheckAnnotation[] {
  return f.problems.map(p => ({ path: p.file, startLine: p.line ?? 1, level: 'failure' as const, message: p.message, ...(p.field ? { title: p.field } : {}) }))
}

function outcome(results: ServiceResult[], onGitHub: boolean): CommandOutcome {
  const lines: string[] = []
  const summary: string[] = ['## Peakcast forecast', '', '| Service | Peak (P90) | Target | Pull request | Check |', '|---|---:|---:|---|---|']
  for (const r of results) {
    if (r.error || !r.plan) {
      lines.push(`${r.service}: failed: ${r.error}`)
      summary.push(`| ${r.service} | — | — | failed: ${tableCell(r.error ?? '')} | — |`)
      continue
    }
    const { peak, workload } = r.plan
    const pr = r.pull ? (r.pull.number ? `${r.pull.operation} [#${r.pull.number}](${r.pull.url})` : r.pull.operation) : 'written locally'
    const verdict = r.check ? verdictOf([r.check]) : '—'
    lines.push(
      `${r.service}: peak ${peak.day} ${peak.hour} P90 ${peak.rps.p90.toFixed(1)} rps, target ${workload.test.targetRps.toFixed(1)} rps; ` +
        `${r.pull ? `pull request ${r.pull.operation}${r.pull.url ? ` ${r.pull.url}` : ''}` : 'workload files written'}; validation ${verdict}`
    )
    summary.push(`| ${r.service} | ${peak.rps.p90.toFixed(1)} rps | ${workload.test.targetRps.toFixed(1)} rps | ${pr} | ${verdict} |`)
  }
  const outputs: Record<string, string> = {}
  const first = results[0]
  if (first?.plan) {
    outputs['peak-rps'] = first.plan.peak.rps.p90.toFixed(1)
    outputs['target-rps'] = first.plan.workload.test.targetRps.toFixed(1)
  }
  if (onGitHub && first?.pull) {
    outputs['pull-request-operation'] = first.pull.operation
    if (first.pull.number !== undefined) outputs['pull-request-number'] = String(first.pull.number)
    if (first.pull.url) outputs['pull-request-url'] = first.pull.url
  }
  const failed = results.filter(r => r.error)
  const invalid = results.filter(r => r.check && verdictOf([r.check]) === 'failure')
  const failure = [
    ...failed.map(r => `${r.service}: ${r.error}`),
    ...invalid.map(r => `${r.service}: the regenerated workload fails validation: ${r.check?.problems.map(p => p.message).join('; ')}`)
  ]
  return { text: lines.join('\n'), outputs, summary: `${summary.join('\n')}\n`, ...(failure.length ? { failure: failure.join('\n') } : {}) }
}

