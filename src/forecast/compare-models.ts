/**
 * Candidate model vs the model in use vs the seasonal baseline, on the same backtests: a
 * per-trace table a reviewer reads and one verdict. A metric counts as better or worse only when
 * the paired bootstrap interval of the difference excludes zero (significance.ts), so a verdict
 * never rests on a few weeks that happened to go one model's way.
 */
import type { ForecasterBacktest } from './backtest.js'
import { compareWeekScores, type Change, type ComparedMetric, type MetricDifference } from './significance.js'
import { tableCell } from '../util/markdown.js'

export type { Change } from './significance.js'

/** What a comparison needs of one forecaster's backtest. */
export type ScoredForecaster = Pick<ForecasterBacktest, 'metrics' | 'weekScores'>

/** One trace (telemetry file) backtested with the three forecasters on the same weeks. */
export interface TraceBacktest {
  /** e.g. the telemetry file name */
  trace: string
  /** weekly origins scored */
  weeks: number
  baseline: ScoredForecaster
  current: ScoredForecaster
  candidate: ScoredForecaster
}

export type MetricKey = 'peakHourMaeH' | 'peakDayAccuracy' | 'peakRateMape' | 'p90Coverage' | 'wape'
export type Verdict = 'better' | 'worse' | 'mixed' | 'same'

export interface MetricSpec extends ComparedMetric<MetricKey> {
  label: string
  /** decimals the tables print */
  digits: number
}

/** P90 coverage is judged by its distance from the nominal 90 %, not by more-is-better. */
const NOMINAL_P90_PERCENT = 90

/** Values in display units (hours, percent); badness is lower-is-better in the same units. */
export const METRICS: readonly MetricSpec[] = [
  { key: 'peakHourMaeH', label: 'peak-hour MAE (h)', digits: 2, value: m => m.peakHourMaeH, badness: v => v },
  { key: 'peakDayAccuracy', label: 'peak-day accuracy (%)', digits: 1, value: m => 100 * m.peakDayAccuracy, badness: v => -v },
  { key: 'peakRateMape', label: 'peak-rate MAPE (%)', digits: 1, value: m => m.peakRateMape, badness: v => v },
  { key: 'p90Coverage', label: 'P90 coverage (%, nominal 90)', digits: 1, value: m => 100 * m.p90Coverage, badness: v => Math.abs(v - NOMINAL_P90_PERCENT) },
  { key: 'wape', label: 'WAPE (%)', digits: 1, value: m => m.wape, badness: v => v }
]

const show = (spec: MetricSpec, f: ScoredForecaster): string => spec.value(f.metrics).toFixed(spec.digits)

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
  /** the differences in badness behind those changes, with their 99 % intervals */
  vsCurrentDifference: MetricDifference
  vsBaselineDifference: MetricDifference
}

export interface ModelComparison {
  rows: MetricComparison[]
  verdict: Verdict
  /** "metric on trace" where the candidate beats / loses to the model in use */
  better: string[]
  worse: string[]
  /** "metric on trace" where the candidate is not significantly better than the seasonal baseline */
  notBeatingBaseline: string[]
}

export function compareModels(traces: readonly TraceBacktest[]): ModelComparison {
  const rows: MetricComparison[] = []
  for (const t of traces) {
    const vsCurrent = compareWeekScores(t.candidate.weekScores, t.current.weekScores, METRICS)
    const vsBaseline = compareWeekScores(t.candidate.weekScores, t.baseline.weekScores, METRICS)
    for (const spec of METRICS) {
      rows.push({
        trace: t.trace,
        metric: spec.key,
        label: spec.label,
        baseline: show(spec, t.baseline),
        current: show(spec, t.current),
        candidate: show(spec, t.candidate),
        vsCurrent: vsCurrent[spec.key].change,
        vsBaseline: vsBaseline[spec.key].change,
        vsCurrentDifference: vsCurrent[spec.key],
        vsBaselineDifference: vsBaseline[spec.key]
      })
    }
  }
  const where = (r: MetricComparison) => `${r.label} on ${r.trace}`
  const better = rows.filter(r => r.vsCurrent === 'better').map(where)
  const worse = rows.filter(r => r.vsCurrent === 'worse').map(where)
  const verdict: Verdict = better.length > 0 ? (worse.length > 0 ? 'mixed' : 'better') : worse.length > 0 ? 'worse' : 'same'
  return { rows, verdict, better, worse, notBeatingBaseline: rows.filter(r => r.vsBaseline !== 'better').map(where) }
}

const MARK: Record<Change, string> = { better: '✅ better', worse: '❌ worse', same: '≈ within noise' }

/** "✅ better (−0.21, 99 % CI −0.35 to −0.05)": the change with the difference behind it, in badness units. */
export function differenceCell(d: MetricDifference, digits: number): string {
  if (Number.isNaN(d.lo)) return MARK[d.change]
  const zero = (0).toFixed(digits)
  const signed = (x: number) => {
    const s = x.toFixed(digits)
    if (s === zero || s === `-${zero}`) return zero
    return x > 0 ? `+${s}` : s.replace('-', '−')
  }
  return `${MARK[d.change]} (${signed(d.delta)}, 99 % CI ${signed(d.lo)} to ${signed(d.hi)})`
}

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
      const digits = METRICS.find(m => m.key === r.metric)?.digits ?? 2
      out.push(
        `| ${r.label} | ${r.baseline} | ${r.current} | ${r.candidate} | ${differenceCell(r.vsCurrentDifference, digits)} | ${differenceCell(r.vsBaselineDifference, digits)} |`
      )
    }
    out.push('')
  }
  out.push(
    'Differences are candidate minus the other model in each metric\'s badness (lower is better: hours, percentage ' +
      'points; peak-day accuracy negated, P90 coverage as distance from 90 %). A change counts only when the 99 % ' +
      'interval of a paired circular-block bootstrap over the weeks (blocks of 4) excludes zero.',
    ''
  )
  return out.join('\n')
}

/** One paragraph a reviewer can act on. */
export function recommendation(c: ModelComparison): string {
  const list = (xs: string[]) => xs.join('; ')
  const baseline = c.notBeatingBaseline.length > 0 ? ` It is not significantly better than the seasonal baseline on: ${list(c.notBeatingBaseline)}.` : ' It is significantly better than the seasonal baseline on every metric and trace.'
  switch (c.verdict) {
    case 'better':
      return `**Merge**: the candidate is better than the model in use on ${list(c.better)}, and worse on nothing.${baseline}`
    case 'worse':
      return `**Do not merge**: the candidate is worse than the model in use on ${list(c.worse)}, and better on nothing.${baseline}`
    case 'mixed':
      return `**Review before merging**: the candidate is better on ${list(c.better)}, but worse on ${list(c.worse)}.${baseline}`
    case 'same':
      return `**No gain**: no metric on any trace tells the candidate from the model in use (every 99 % interval includes zero).${baseline}`
  }
}
