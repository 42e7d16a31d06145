/**
 * The small criteria language of slo.yaml, after Keptn quality gates and Azure Load Testing:
 *   "< 300"  "<= 1.5s"  "< 1%"          absolute limit in the metric's unit
 *   ">= 95% of target"                  fraction of the workload's target rate
 *   "<= +10%"  ">= -5%"  "<= +50ms"     change against the baseline (median of earlier runs)
 * A sign in front of the number is what makes a criterion relative.
 */
import { PeakcastError, type Place } from '../util/errors.js'
import { metricInfo, type MetricUnit, type SloMetric } from './metrics.js'

export type Comparator = '<' | '<=' | '>' | '>='

export type Criterion =
  /** limit in the metric's unit: ms, ratio 0..1 (error_rate), rps */
  | { kind: 'absolute'; op: Comparator; limit: number; text: string }
  /** fraction of the target rate, 0.95 for "95% of target" */
  | { kind: 'ofTarget'; op: Comparator; fraction: number; text: string }
  /** change against the baseline: percent of it (+10 for "+10%") or an amount in the metric's unit */
  | { kind: 'relative'; op: Comparator; change: number; percent: boolean; text: string }

export const CRITERION_HINT = "expected e.g. '< 300' or '<= +10%'"

const GRAMMAR = /^(<=|>=|<|>)\s*([+-])?\s*(\d+(?:\.\d+)?|\.\d+)\s*(%|ms|s|rps)?\s*(of\s+target)?$/

/** Parses one criterion for a metric; throws PeakcastError at `place` when it does not fit. */
export function parseCriterion(text: string, metric: SloMetric, place: Place = {}): Criterion {
  const trimmed = text.trim()
  const m = GRAMMAR.exec(trimmed)
  const fail = (why: string) => new PeakcastError(`criterion "${text}" ${why}`, place, CRITERION_HINT)
  if (!m) return throwIt(fail('is not understood'))
  const op = m[1] as Comparator
  const sign = m[2]
  const number = Number(m[3])
  const unit = (m[4] ?? '').toLowerCase()
  const ofTarget = m[5] !== undefined
  const metricUnit = metricInfo(metric).unit

  if (ofTarget) {
    if (sign) return throwIt(fail("cannot have a sign with 'of target'"))
    if (unit !== '%') return throwIt(fail("needs a percentage before 'of target', e.g. '>= 95% of target'"))
    if (metric !== 'throughput_rps') return throwIt(fail("uses 'of target', which applies to throughput_rps only"))
    return { kind: 'ofTarget', op, fraction: number / 100, text: trimmed }
  }
  if (sign) {
    const signed = (n: number) => (sign === '-' ? -n : n)
    if (unit === '%') return { kind: 'relative', op, change: signed(number), percent: true, text: trimmed }
    return { kind: 'relative', op, change: signed(toMetricUnit(number, unit, metricUnit, fail)), percent: false, text: trimmed }
  }
  return { kind: 'absolute', op, limit: toMetricUnit(number, unit, metricUnit, fail), text: trimmed }
}

function toMetricUnit(n: number, unit: string, metricUnit: MetricUnit, fail: (why: string) => PeakcastError): number {
  switch (metricUnit) {
    case 'ms':
      if (unit === '' || unit === 'ms') return n
      if (unit === 's') return n * 1000
      return throwIt(fail(`has unit '${unit}' but latency is in ms`))
    case 'ratio':
      if (unit === '%') return n / 100
      return throwIt(fail("needs a percentage: error_rate limits are written like '< 1%'"))
    case 'rps':
      if (unit === '' || unit === 'rps') return n
      if (unit === '%') return throwIt(fail("is a bare percentage: write '>= 95% of target' or a rate like '>= 1000'"))
      return throwIt(fail(`has unit '${unit}' but throughput is in rps`))
  }
}

function throwIt(err: Error): never {
  throw err
}

export interface CriterionContext {
  /** target rate for "% of target" criteria */
  target?: number
  /** baseline value (same metric, same endpoint) for relative criteria */
  baseline?: number
}

export interface CriterionOutcome {
  ok: boolean
  actual: number
  /** the limit `actual` was compared with, in the metric's unit; null when nothing to compare with */
  threshold: number | null
  /**
   * absolute / of target: how far `actual` lies from the threshold, in % of it (+37 = 37% over);
   * relative: the change of `actual` against the baseline, in % of the baseline.
   * null where the reference is 0 or missing.
   */
  deltaPercent: number | null
  /** the baseline or target the threshold was derived from */
  reference?: number
  /** why the criterion passed without a comparison */
  skipped?: 'no-target' | 'no-baseline'
}

export function evaluateCriterion(c: Criterion, actual: number, ctx: CriterionContext = {}): CriterionOutcome {
  switch (c.kind) {
    case 'absolute':
      return { ok: compare(actual, c.op, c.limit), actual, threshold: c.limit, deltaPercent: percentOf(actual, c.limit) }
    case 'ofTarget': {
      if (ctx.target === undefined || !(ctx.target > 0)) {
        return { ok: true, actual, threshold: null, deltaPercent: null, skipped: 'no-target' }
      }
      const threshold = c.fraction * ctx.target
      return { ok: compare(actual, c.op, threshold), actual, threshold, deltaPercent: percentOf(actual, threshold), reference: ctx.target }
    }
    case 'relative': {
      if (ctx.baseline === undefined || !Number.isFinite(ctx.baseline)) {
        return { ok: true, actual, threshold: null, deltaPercent: null, skipped: 'no-baseline' }
      }
      const b = ctx.baseline
      const threshold = c.percent ? b * (1 + c.change / 100) : b + c.change
      return { ok: compare(actual, c.op, threshold), actual, threshold, deltaPercent: percentOf(actual, b), reference: b }
    }
  }
}

function compare(a: number, op: Comparator, b: number): boolean {
  switch (op) {
    case '<':
      return a < b
    case '<=':
      return a <= b
    case '>':
      return a > b
    case '>=':
      return a >= b
  }
}

function percentOf(actual: number, reference: number): number | null {
  return reference === 0 ? null : ((actual - reference) / reference) * 100
}

/** "< 300 ms", "< 1%", ">= 95% of target", "<= +10%": the criterion as a reader wants to see it. */
export function describeCriterion(c: Criterion, unit: MetricUnit): string {
  if (c.kind !== 'absolute') return c.text.replace(/\s+/g, ' ').replace(/^(<=|>=|<|>)\s*/, '$1 ')
  return `${c.op} ${formatLimit(unit, c.limit)}`
}

/** Limits as written by people: no trailing zeros ("1%", "0.5%", "300 ms"). */
export function formatLimit(unit: MetricUnit, value: number): string {
  const trim = (n: number) => String(Number(n.toFixed(3)))
  switch (unit) {
    case 'ms':
      return `${trim(value)} ms`
    case 'ratio':
      return `${trim(value * 100)}%`
    case 'rps':
      return `${trim(value)} rps`
  }
}
