/**
 * Judge and report one finished load test; shared by `test` (one engine) and `merge-results`
 * (N shards). Shards → exact statistics → baseline from the history branch → SLO verdict and
 * generator health → report.md, check run on the pushed commit, sticky comment on the merged
 * PR, job summary, history record, New Relic. Reporting steps that fail are collected, not
 * thrown, so one unreachable service does not swallow the results the others can still show.
 */
import { dirname, join, resolve } from 'node:path'
import type { PeakcastConfig, ServiceConfig } from '../config/peakcast-config.js'
import { githubContext, type GitHubRunContext } from '../github/context.js'
import { Git } from '../github/git.js'
import { findMergedPull } from '../github/merged-pull.js'
import { createOctokit, type GitHubClient, type OctokitOptions } from '../github/octokit.js'
import { upsertStickyComment } from '../github/sticky-comment.js'
import { upsertCheckRun } from '../github/upsert-check-run.js'
import { generatorHealth, type GeneratorHealth } from '../jmeter/generator-health.js'
import { analyzeShards, missingShards, type ShardResult } from '../jmeter/shard-results.js'
import type { RunStats } from '../jmeter/stats.js'
import { publishToNewRelic, type NewRelicRegion } from '../publish/newrelic.js'
import { evaluateSlo, latencyHealthy, type SloResult, type Status } from '../slo/evaluate.js'
import { baselineFrom, recordFromRun } from '../slo/history.js'
import { GitHistoryStore } from '../slo/history-store.js'
import { loadSlo } from '../slo/load-slo.js'
import { checkRunOutput, renderResultsMarkdown, type CheckRunOutput } from '../slo/report.js'
import type { Slo } from '../slo/slo.js'
import { writeFileAtomic } from '../util/atomic-write.js'
import { PeakcastError } from '../util/errors.js'
import type { CommandOutcome, OptionSpec, OptionValues } from './command.js'
import type { CommandContext } from './context.js'

/** Seams for tests: New Relic's HTTP client and the GitHub client's pacing. */
export interface ReportDeps {
  fetch?: typeof fetch
  octokit?: Partial<Omit<OctokitOptions, 'log'>>
}

/** Options both commands take, as action inputs (action.yml) and CLI flags. */
export const REPORT_OPTIONS: OptionSpec[] = [
  { name: 'config', description: 'path of peakcast.yaml', type: 'string', default: 'peakcast.yaml' },
  { name: 'slo', description: 'path of slo.yaml', type: 'string', default: 'slo.yaml' },
  { name: 'services', description: 'comma-separated services to act on (default all)', type: 'string', default: '' },
  { name: 'token', description: 'GitHub token for the check run, the PR comment and the history branch', type: 'string', default: '' },
  { name: 'fail-on', description: "fail the job on 'fail', on 'warning', or 'never'", type: 'string', default: 'fail' },
  { name: 'results-dir', description: 'where the JTL, jmeter.log, HTML dashboard and report are', type: 'string', default: 'peakcast-results' },
  { name: 'newrelic-api-key', description: 'New Relic license key: publish the results as events and metrics', type: 'string', default: '' }
]

export type FailOn = 'fail' | 'warning' | 'never'

export function parseFailOn(value: unknown): FailOn {
  const v = String(value ?? 'fail')
  if (v === 'fail' || v === 'warning' || v === 'never') return v
  throw new PeakcastError(`fail-on must be fail, warning or never, got "${v}"`, { field: 'fail-on' })
}

/** The services named in the `services` option (all when empty); an unknown name is an error. */
export function selectServices(config: PeakcastConfig, option: unknown, configPath: string): ServiceConfig[] {
  const names = String(option ?? '').split(',').map(s => s.trim()).filter(Boolean)
  if (names.length === 0) return config.services
  const unknown = names.filter(n => !config.services.some(s => s.name === n))
  if (unknown.length > 0) {
    throw new PeakcastError(`unknown service ${unknown.join(', ')}`, { file: configPath, field: 'services' }, `one of: ${config.services.map(s => s.name).join(', ')}`)
  }
  return config.services.filter(s => names.includes(s.name))
}

export interface NewRelicTarget {
  apiKey: string
  accountId: string
  region: NewRelicRegion
}

/**
 * Where results go in New Relic: the service's own newrelic telemetry block when it has one,
 * else NEW_RELIC_ACCOUNT_ID and NEW_RELIC_REGION (US, EU; default US). Undefined without a key.
 */
export function newRelicTarget(apiKey: string, service: ServiceConfig | undefined, env: NodeJS.ProcessEnv): NewRelicTarget | undefined {
  if (!apiKey) return undefined
  const t = service?.telemetry
  if (t?.type === 'newrelic') return { apiKey, accountId: String(t.accountId), region: t.region ?? 'US' }
  const accountId = env.NEW_RELIC_ACCOUNT_ID ?? ''
  const region = (env.NEW_RELIC_REGION || 'US').toUpperCase()
  if (!/^\d+$/.test(accountId)) {
    throw new PeakcastError(
      `newrelic-api-key is set but no New Relic account id is known for ${service?.name ?? 'the service'}`,
      { field: 'NEW_RELIC_ACCOUNT_ID' },
      'set env NEW_RELIC_ACCOUNT_ID (and NEW_RELIC_REGION: US or EU), or give the service a newrelic telemetry block'
    )
  }
  if (region !== 'US' && region !== 'EU') throw new PeakcastError(`NEW_RELIC_REGION must be US or EU, got "${region}"`, { field: 'NEW_RELIC_REGION' })
  return { apiKey, accountId, region }
}

/** Everything a report needs besides the results themselves, prepared once per command. */
export interface Reporter {
  slo: Slo
  gh?: GitHubRunContext
  octokit?: GitHubClient
  history?: GitHistoryStore
  runId: string
  failOn: FailOn
  resultsDir: string
  ctx: CommandContext
  deps: ReportDeps
}

export function createReporter(options: OptionValues, ctx: CommandContext, configPath: string, deps: ReportDeps): Reporter {
  const { log } = ctx
  const slo = loadSlo(resolve(ctx.cwd, String(options.slo ?? 'slo.yaml')))
  const gh = githubContext(ctx.env)
  const token = String(options.token ?? '')
  let octokit: GitHubClient | undefined
  let history: GitHistoryStore | undefined
  if (gh) {
    if (token) octokit = createOctokit(token, { baseUrl: gh.apiUrl, log, ...deps.octokit })
    else log.warn('no token: the check run and the PR comment are skipped')
    const git = new Git(dirname(configPath), log, { token: token || undefined, serverUrl: gh.serverUrl })
    history = new GitHistoryStore(git, { base: gh.defaultBranch, log })
  } else {
    log.info('not on a GitHub runner (no GITHUB_REPOSITORY): no check run, PR comment or results history')
  }
  return {
    slo,
    ...(gh ? { gh } : {}),
    ...(octokit ? { octokit } : {}),
    ...(history ? { history } : {}),
    runId: gh?.runId ?? `local-${ctx.now}`,
    failOn: parseFailOn(options['fail-on']),
    resultsDir: resolve(ctx.cwd, String(options['results-dir'] ?? 'peakcast-results')),
    ctx,
    deps
  }
}

export interface ServiceReport {
  service: string
  stats: RunStats
  result: SloResult
  health: GeneratorHealth
  markdown: string
  check: CheckRunOutput
  /** reporting steps that failed (GitHub, history, New Relic), each one line */
  problems: string[]
}

export function stickyMarker(service: string): string {
  return `<!-- peakcast:load-test:${service} -->`
}

export function checkRunName(service: string): string {
  return `peakcast load test (${service})`
}

export async function reportService(r: Reporter, input: { service: string; shards: ShardResult[]; newRelic?: NewRelicTarget }): Promise<ServiceReport> {
  const { service, shards } = input
  const { log, now } = r.ctx
  const missing = missingShards(shards)
  if (missing.length > 0) log.warn(`${service}: shard(s) ${missing.join(', ')} of ${shards[0].meta.shards} have no results; the run is partial`)
  const stats = await analyzeShards(shards)
  const targetRps = shards[0].meta.targetRps
  const problems: string[] = []
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn()
    } catch (err) {
      const line = `${service}: ${what} failed: ${(err as Error).message}`
      log.warn(line)
      problems.push(line)
    }
  }

  let baseline
  if (r.history) {
    const records = await r.history.read(service)
    baseline = baselineFrom(records, r.slo.comparison, { excludeRunId: r.runId })
  }
  const result = evaluateSlo(r.slo, stats, { ...(baseline ? { baseline } : {}), targetRps })
  const health = generatorHealth({ stats, targetRps, shards: shards[0].meta.shards, latencyHealthy: latencyHealthy(result) })
  const view = { service, stats, slo: result, targetRps, health, ...(r.gh?.runUrl ? { runUrl: r.gh.runUrl } : {}) }
  const markdown = renderResultsMarkdown({ ...view, marker: stickyMarker(service) })
  const check = checkRunOutput(view)
  writeFileAtomic(join(r.resultsDir, service, 'report.md'), markdown)

  const { gh, octokit } = r
  if (gh && octokit) {
    const repo = { octokit, owner: gh.owner, repo: gh.repo }
    await attempt('the check run', async () => {
      const run = await upsertCheckRun({ ...repo, headSha: gh.sha, name: checkRunName(service), ...check, ...(gh.runUrl ? { detailsUrl: gh.runUrl } : {}) })
      log.info(`${service}: check run ${run.operation} on ${gh.sha.slice(0, 12)}`)
    })
    await attempt('the PR comment', async () => {
      const pull = await findMergedPull({ ...repo, sha: gh.sha })
      if (!pull) return log.info(`${service}: ${gh.sha.slice(0, 12)} is not the merge commit of a pull request; no comment`)
      const c = await upsertStickyComment({ ...repo, issueNumber: pull.number, marker: stickyMarker(service), body: markdown })
      log.info(`${service}: comment ${c.operation} on #${pull.number}: ${c.url}`)
    })
  }
  if (r.history && gh) {
    const history = r.history
    const record = recordFromRun({ service, runId: r.runId, commit: gh.sha, time: new Date(now).toISOString() }, stats, result)
    await attempt('recording the run in the results history', () => history.append(record))
  }
  if (input.newRelic) {
    const nr = input.newRelic
    await attempt('publishing to New Relic', () =>
      publishToNewRelic({
        stats,
        slo: result,
        service,
        runId: r.runId,
        commit: gh?.sha ?? 'local',
        targetRps,
        ...nr,
        log,
        ...(r.deps.fetch ? { fetch: r.deps.fetch } : {})
      })
    )
  }
  return { service, stats, result, health, markdown, check, problems }
}

const SEVERITY: Record<Status, number> = { pass: 0, warning: 1, fail: 2 }

/** Outputs, job summary and the job's failure, from every service's report. */
export function reportOutcome(reports: ServiceReport[], r: Pick<Reporter, 'failOn' | 'resultsDir'>): CommandOutcome {
  const worst = reports.reduce<Status>((w, x) => (SEVERITY[x.result.verdict] > SEVERITY[w] ? x.result.verdict : w), 'pass')
  const first = reports[0].stats.total
  const text = reports
    .map(x => {
      const t = x.stats.total
      return `${x.service}: ${x.result.verdict.toUpperCase()} (score ${x.result.score.toFixed(1)}%) · p95 ${t.p95} ms · ${t.throughputRps.toFixed(1)} rps · ${(t.errorRate * 100).toFixed(2)}% errors${x.result.problems.map(p => `\n  - ${p}`).join('')}`
    })
    .join('\n')
  const threshold = r.failOn === 'never' ? Infinity : SEVERITY[r.failOn]
  const failing = reports.filter(x => SEVERITY[x.result.verdict] >= threshold)
  const failures = [
    ...failing.map(x => `${x.service}: SLO ${x.result.verdict}: ${x.result.problems.join('; ') || 'total score too low'}`),
    ...reports.flatMap(x => x.problems)
  ]
  return {
    text,
    // with several services, the numbers are the first one's (services are in name order)
    outputs: {
      verdict: worst,
      'p95-ms': String(first.p95),
      'throughput-rps': first.throughputRps.toFixed(2),
      'error-rate': first.errorRate.toFixed(4),
      'results-dir': r.resultsDir
    },
    summary: reports.map(x => x.markdown).join('\n---\n\n'),
    ...(failures.length > 0 ? { failure: failures.join('\n') } : {})
  }
}
