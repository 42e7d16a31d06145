/**
 * Candidate model vs the model in use vs the seasonal baseline, on the same backtests: a
 * per-trace table a reviewer reads and one verdict. Metrics are compared at the precision the
 * table prints, so "better" never rests on a difference the reviewer cannot see.
 */
import type { BacktestMetrics } from './backtest.js'
import { tableCell } from '../util/markdown.js'

/** One trace (telemetry file) backtested with the three forecasters. */
export interface TraceBacktest {
  /** e.g. the telemetry file name */
  trace: string
  /** weekly origins scored */
  weeks: number
  baseline: BacktestMetrics
  current: BacktestMetrics
  candidate: BacktestMetrics
}

export type MetricKey = 'peakHourMaeH' | 'peakDayAccuracy' | 'peakRateMape' | 'p90Coverage' | 'wape'
export type Change = 'better' | 'worse' | 'same'
export type Verdict = 'better' | 'worse' | 'mixed' | 'same'

interface MetricSpec {
  key: MetricKey
  label: string
  /** the value as the table prints it */
  show: (m: BacktestMetrics) => string
  /** lower is better; computed from the printed value so equal prints compare equal */
  badness: (shown: number) => number
}

/** P90 coverage is judged by its distance from the nominal 90 %, not by more-is-better. */
const NOMINAL_P90_PERCENT = 90

export const METRICS: readonly MetricSpec[] = [
  { key: 'peakHourMaeH', label: 'peak-hour MAE (h)', show: m => m.peakHourMaeH.toFixed(2), badness: v => v },
  { key: 'peakDayAccuracy', label: 'peak-day accuracy (%)', show: m => (100 * m.peakDayAccuracy).toFixed(1), badness: v => -v },
  { key: 'peakRateMape', label: 'peak-rate MAPE (%)', show: m => m.peakRateMape.toFixed(1), badness: v => v },
  { key: 'p90Coverage', label: 'P90 coverage (%, nominal 90)', show: m => (100 * m.p90Coverage).toFixed(1), badness: v => Math.abs(v - NOMINAL_P90_PERCENT) },
  { key: 'wape', label: 'WAPE (%)', show: m => m.wape.toFixed(1), badness: v => v }
]

export interface MetricComparison {
  trace: string
  metric: MetricKey
  label: string
  baseline: string
  current: string
  candidate: string
  /** candidate against the model in use */
  vsCurrent: Change
  /** candidate against the seasonal baseline */
  vsBaseline: Change
}

export interface ModelComparison {
  rows: MetricComparison[]
  verdict: Verdict
  /** "metric on trace" where the candidate beats / loses to the model in use */
  better: string[]
  worse: string[]
  /** "metric on trace" where the candidate does not beat the seasonal baseline */
  notBeatingBaseline: string[]
}

function change(spec: MetricSpec, ours: BacktestMetrics, theirs: BacktestMetrics): Change {
  const a = spec.badness(Number(spec.show(ours)))
  const b = spec.badness(Number(spec.show(theirs)))
  // NaN (a metric with no weeks) never counts as an improvement
  if (Number.isNaN(a) || Number.isNaN(b) || a === b) return 'same'
  return a < b ? 'better' : 'worse'
}

export function compareModels(traces: readonly TraceBacktest[]): ModelComparison {
  const rows: MetricComparison[] = []
  for (const t of traces) {
    for (const spec of METRICS) {
      rows.push({
        trace: t.trace,
        metric: spec.key,
        label: spec.label,
        baseline: spec.show(t.baseline),
        current: spec.show(t.current),
        candidate: spec.show(t.candidate),
        vsCurrent: change(spec, t.candidate, t.current),
        vsBaseline: change(spec, t.candidate, t.baseline)
      })
    }
  }
  const where = (r: MetricComparison) => `${r.label} on ${r.trace}`
  const better = rows.filter(r => r.vsCurrent === 'better').map(where)
  const worse = rows.filter(r => r.vsCurrent === 'worse').map(where)
  const verdict: Verdict = better.length > 0 ? (worse.length > 0 ? 'mixed' : 'better') : worse.length > 0 ? 'worse' : 'same'
  return { rows, verdict, better, worse, notBeatingBaseline: rows.filter(r => r.vsBaseline !== 'better').map(where) }
}

const MARK: Record<Change, string> = { better: '✅ better', worse: '❌ worse', same: '= same' }

/** Markdown: one table per trace, metric rows, baseline | in use | candidate | vs in use | vs baseline. */
export function comparisonTables(traces: readonly TraceBacktest[], c: ModelComparison, names: { current: string; candidate: string }): string {
  const out: string[] = []
  for (const t of traces) {
    out.push(
      `#### ${tableCell(t.trace)} (${t.weeks} weekly origin${t.weeks === 1 ? '' : 's'})`,
      '',
      `| metric | seasonal baseline | in use: \`${tableCell(names.current)}\` | candidate: \`${tableCell(names.candidate)}\` | candidate vs in use | candidate vs baseline |`,
      '|---|---:|---:|---:|---|---|'
    )
    for (const r of c.rows.filter(row => row.trace === t.trace)) {
      out.push(`| ${r.label} | ${r.baseline} | ${r.current} | ${r.candidate} | ${MARK[r.vsCurrent]} | ${MARK[r.vsBaseline]} |`)
    }
    out.push('')
  }
  return out.join('\n')
}

/** One paragraph a reviewer can act on. */
export function recommendation(c: ModelComparison): string {
  const list = (xs: string[]) => xs.join('; ')
  const baseline = c.notBeatingBaseline.length > 0 ? ` It does not beat the seasonal baseline on: ${list(c.notBeatingBaseline)}.` : ' It beats the seasonal baseline on every metric and trace.'
  switch (c.verdict) {
    case 'better':
      return `**Merge**: the candidate is better than the model in use on ${list(c.better)}, and worse on nothing.${baseline}`
    case 'worse':
      return `**Do not merge**: the candidate is worse than the model in use on ${list(c.worse)}, and better on nothing.${baseline}`
    case 'mixed':
      return `**Review before merging**: the candidate is better on ${list(c.better)}, but worse on ${list(c.worse)}.${baseline}`
    case 'same':
      return `**No gain**: the candidate scores the same as the model in use on every metric and trace.${baseline}`
  }
}
