/**
 * SLO evaluation: every objective against the run's exact statistics, then a weighted total
 * score (pass = full weight, warning = half, fail = none) and a verdict. Messages say which
 * criterion, on which endpoint, by how much (after Taurus' pass/fail messages).
 */
import type { LabelStats, RunStats } from '../jmeter/stats.js'
import { describeCriterion, evaluateCriterion, type Criterion, type CriterionOutcome } from './criteria.js'
import type { Baseline } from './history.js'
import { formatMetricValue, isLatencyMetric, metricInfo, metricValue, type MetricUnit, type SloMetric } from './metrics.js'
import type { Slo, SloObjective } from './slo.js'

export type Status = 'pass' | 'warning' | 'fail'

export interface CheckResult {
  metric: SloMetric
  /** endpoint label; null for the run's total */
  endpoint: string | null
  status: Status
  /** null when the endpoint had no samples */
  actual: number | null
  /** the kind of the pass criterion */
  kind: Criterion['kind']
  /** the pass criterion as a reader sees it, e.g. "< 300 ms" */
  limit: string
  warningLimit?: string
  outcome?: CriterionOutcome
  message: string
}

export interface ObjectiveResult {
  metric: SloMetric
  endpoint?: string
  key: boolean
  weight: number
  /** the worst of its checks ("*" gives one check per endpoint) */
  status: Status
  checks: CheckResult[]
}

export interface SloResult {
  verdict: Status
  /** weighted score, percent 0..100 */
  score: number
  totalScore: { pass: number; warning: number }
  /** a key objective failed: the verdict is fail whatever the score */
  keyFailed: boolean
  objectives: ObjectiveResult[]
  /** messages of the checks that did not pass, in objective order */
  problems: string[]
  /** criteria that passed for want of a baseline or target */
  notes: string[]
  /** how many earlier runs the baseline came from (0: none yet) */
  baselineRuns: number
}

export interface EvaluateOptions {
  /** medians of earlier runs (history.ts baselineFrom) */
  baseline?: Baseline
  /** the run's target rate; defaults to stats.targetRps */
  targetRps?: number
  /** target rate per endpoint, for "% of target" on one endpoint */
  endpointTargetRps?: Record<string, number>
}

const STATUS_CREDIT: Record<Status, number> = { pass: 1, warning: 0.5, fail: 0 }
const SEVERITY: Record<Status, number> = { pass: 0, warning: 1, fail: 2 }

export function evaluateSlo(slo: Slo, stats: RunStats, opts: EvaluateOptions = {}): SloResult {
  const objectives = slo.objectives.map(o => evaluateObjective(o, stats, opts))
  const totalWeight = objectives.reduce((s, o) => s + o.weight, 0)
  const earned = objectives.reduce((s, o) => s + o.weight * STATUS_CREDIT[o.status], 0)
  const score = totalWeight > 0 ? (earned / totalWeight) * 100 : 100
  const keyFailed = objectives.some(o => o.key && o.status === 'fail')
  const verdict: Status =
    keyFailed ? 'fail' : score >= slo.totalScore.pass ? 'pass' : score >= slo.totalScore.warning ? 'warning' : 'fail'
  const checks = objectives.flatMap(o => o.checks)
  return {
    verdict,
    score,
    totalScore: slo.totalScore,
    keyFailed,
    objectives,
    problems: checks.filter(c => c.status !== 'pass').map(c => c.message),
    notes: checks.filter(c => c.status === 'pass' && c.outcome?.skipped).map(c => c.message),
    baselineRuns: opts.baseline?.runIds.length ?? 0
  }
}

function evaluateObjective(o: SloObjective, stats: RunStats, opts: EvaluateOptions): ObjectiveResult {
  const checks = targetsOf(o, stats).map(t => check(o, t.endpoint, t.stats, stats, opts))
  const status = checks.reduce<Status>((worst, c) => (SEVERITY[c.status] > SEVERITY[worst] ? c.status : worst), 'pass')
  return { metric: o.metric, ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}), key: o.key, weight: o.weight, status, checks }
}

interface Target {
  endpoint: string | null
  stats: LabelStats | undefined
}

function targetsOf(o: SloObjective, stats: RunStats): Target[] {
  if (o.endpoint === undefined) return [{ endpoint: null, stats: stats.total }]
  if (o.endpoint === '*') {
    // no endpoints at all is a failed run, not a vacuous pass
    return stats.labels.length ? stats.labels.map(l => ({ endpoint: l.label, stats: l })) : [{ endpoint: '*', stats: undefined }]
  }
  return [{ endpoint: o.endpoint, stats: stats.labels.find(l => l.label === o.endpoint) }]
}

function check(o: SloObjective, endpoint: string | null, label: LabelStats | undefined, run: RunStats, opts: EvaluateOptions): CheckResult {
  const unit = metricInfo(o.metric).unit
  const limit = describeCriterion(o.pass, unit)
  const warningLimit = o.warning ? describeCriterion(o.warning, unit) : undefined
  const subject = `${o.metric} ${endpoint === null ? 'overall' : `on ${endpoint}`}`
  const base = { metric: o.metric, endpoint, kind: o.pass.kind, limit, ...(warningLimit ? { warningLimit } : {}) }

  if (!label || label.count === 0) {
    const known = run.labels.map(l => l.label)
    const shown = known.slice(0, 5).join(', ') + (known.length > 5 ? ', …' : '')
    return {
      ...base,
      status: 'fail',
      actual: null,
      message: `${subject}: no samples in this run, limit ${limit}${known.length ? ` (endpoints in the run: ${shown})` : ''}`
    }
  }

  const actual = metricValue(o.metric, label)
  const ctx = {
    target: endpoint === null ? (opts.targetRps ?? run.targetRps) : opts.endpointTargetRps?.[endpoint],
    baseline: baselineValue(o.metric, endpoint, opts.baseline)
  }
  const outcome = evaluateCriterion(o.pass, actual, ctx)
  let status: Status = 'pass'
  if (!outcome.ok) status = o.warning && evaluateCriterion(o.warning, actual, ctx).ok ? 'warning' : 'fail'

  let message = describeOutcome(subject, o.pass, outcome, unit, limit, opts.baseline)
  if (status === 'warning') message += `; within the warning band ${warningLimit}`
  return { ...base, status, actual, outcome, message }
}

function baselineValue(metric: SloMetric, endpoint: string | null, baseline: Baseline | undefined): number | undefined {
  if (!baseline) return undefined
  const stats = endpoint === null ? baseline.total : baseline.labels[endpoint]
  return stats ? metricValue(metric, stats) : undefined
}

function describeOutcome(
  subject: string,
  c: Criterion,
  out: CriterionOutcome,
  unit: MetricUnit,
  limit: string,
  baseline: Baseline | undefined
): string {
  const fmt = (v: number) => formatMetricValue(unit, v)
  const head = `${subject} = ${fmt(out.actual)}`
  if (out.skipped === 'no-baseline') return `${head}: no baseline yet, passes (limit ${limit} vs earlier runs)`
  if (out.skipped === 'no-target') return `${head}: no target rate known, passes (limit ${limit})`
  const pct = out.deltaPercent
  if (c.kind === 'relative') {
    const runs = baseline ? ` (median of ${baseline.runIds.length} run${baseline.runIds.length === 1 ? '' : 's'})` : ''
    const change = pct === null ? '' : `: ${pct >= 0 ? '+' : '-'}${Math.abs(pct).toFixed(1)}%`
    return `${head} vs baseline ${fmt(out.reference ?? 0)}${runs}${change}, limit ${limit}`
  }
  const target = c.kind === 'ofTarget' && out.threshold !== null ? ` (${fmt(out.threshold)} of ${fmt(out.reference ?? 0)})` : ''
  const distance = pct === null ? '' : `: ${Math.abs(pct).toFixed(1)}% ${pct >= 0 ? 'over' : 'under'}`
  return `${head}, limit ${limit}${target}${distance}`
}

/**
 * Whether the service's latency held up: no latency check failed. The generator-health check
 * uses it to tell a slow service from a load generator that could not keep up.
 */
export function latencyHealthy(result: SloResult): boolean {
  return !result.objectives.some(o => isLatencyMetric(o.metric) && o.status === 'fail')
}
