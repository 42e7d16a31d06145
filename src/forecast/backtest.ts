/**
 * Rolling-origin backtest: replay the forecasters week by week over a long real series and score
 * what matters for load testing — when the daily peak comes, which day holds the weekly peak,
 * how high it is, and whether the P90 really bounds the traffic. Each origin only ever sees the
 * history before it (anomalies are detected on that history too, as they would be in production).
 */

import { PeakcastError } from '../util/errors.js'
import { HOUR_MS } from '../telemetry/series.js'
import type { Forecast, Forecaster } from './forecaster.js'
import { DAY_MS, WEEK_HOURS, WEEK_MS, hourOfDay, nextMondayUtc } from './calendar.js'
import { detectAnomalies } from './anomalies.js'
import { argmaxFirst } from './peaks.js'

// Module-level aliases: global lookups are very slow inside jest's vm sandbox (see calendar.ts).
const { abs, floor, max, min } = Math

export interface BacktestOptions {
  /** weeks of data before the first origin; default 8 */
  warmupWeeks?: number
  /** hours forecast at each origin; default 168 */
  horizon?: number
  /** weeks of history handed to the forecasters at each origin, like peakcast.yaml historyWeeks; default 30 */
  historyWeeks?: number
}

export interface BacktestMetrics {
  /** mean over all forecast days of the clock distance (h, 0..12) between predicted and actual daily peak hour */
  peakHourMaeH: number
  /** share of weeks (0..1) whose busiest day was predicted right */
  peakDayAccuracy: number
  /** mean over weeks of |predicted P50 weekly peak − actual weekly peak| / actual peak, in % */
  peakRateMape: number
  /** share of hours (0..1) with actual ≤ P90 */
  p90Coverage: number
  /** share of hours (0..1) with P10 ≤ actual ≤ P90 (nominally 0.8) */
  bandCoverage: number
  /** Σ|actual − P50| / Σ actual over all hours, in % */
  wape: number
  weeks: number
}

export interface PredictionRow {
  /** epoch ms of the forecast origin */
  origin: number
  /** epoch ms of the forecast hour */
  timestamp: number
  p10: number
  p50: number
  p90: number
}

export interface ForecasterBacktest {
  id: string
  /** the model string the forecasts carried (e.g. with the ONNX file's hash) */
  model: string
  metrics: BacktestMetrics
  /** per origin, in origin order: what the metrics sum, and what paired comparisons resample */
  weekScores: WeekScore[]
  predictions: PredictionRow[]
}

export interface BacktestResult {
  /** epoch ms of each weekly origin (Monday 00:00Z) */
  origins: number[]
  horizon: number
  warmupWeeks: number
  historyWeeks: number
  /**
   * How predictable the peak day is at all: the share of weeks whose busiest day fell on the
   * weekday that held the peak most often, known only in hindsight. A forecaster that names one
   * fixed weekday cannot beat it.
   */
  peakDayHindsight: number
  forecasters: ForecasterBacktest[]
}

/** Scores of one forecast week against what happened; summed over weeks into BacktestMetrics. */
export interface WeekScore {
  /** per UTC day: clock distance between predicted and actual peak hour */
  dayPeakHourErrors: number[]
  peakDayHit: boolean
  /** UTC weekday (0 = Sunday) of the actual busiest hour */
  actualPeakWeekday: number
  /** |predicted peak − actual peak| / actual peak (fraction) */
  peakRateError: number
  hours: number
  p90Hits: number
  bandHits: number
  absError: number
  actualSum: number
}

/** Hours between two clock hours on a 24-hour dial: 23 and 1 are 2 apart. */
export function circularHourDistance(a: number, b: number): number {
  const d = (((a - b) % 24) + 24) % 24
  return min(d, 24 - d)
}

/** Scores one forecast against the actual values of the same hours (actual[h] at f.start + h·1 h). */
export function scoreWeek(f: Pick<Forecast, 'start' | 'p10' | 'p50' | 'p90'>, actual: readonly number[]): WeekScore {
  const n = actual.length
  const dayOf = (h: number) => floor((f.start + h * HOUR_MS) / DAY_MS)

  const dayPeakHourErrors: number[] = []
  for (let from = 0; from < n; ) {
    let to = from + 1
    while (to < n && dayOf(to) === dayOf(from)) to++
    const predicted = argmaxFirst(f.p50, from, to)
    const observed = argmaxFirst(actual, from, to)
    dayPeakHourErrors.push(
      circularHourDistance(hourOfDay(f.start + predicted * HOUR_MS), hourOfDay(f.start + observed * HOUR_MS))
    )
    from = to
  }

  const predictedPeak = argmaxFirst(f.p50, 0, n)
  const observedPeak = argmaxFirst(actual, 0, n)
  let p90Hits = 0
  let bandHits = 0
  let absError = 0
  let actualSum = 0
  for (let h = 0; h < n; h++) {
    if (actual[h] <= f.p90[h]) p90Hits++
    if (actual[h] >= f.p10[h] && actual[h] <= f.p90[h]) bandHits++
    absError += abs(actual[h] - f.p50[h])
    actualSum += actual[h]
  }
  return {
    dayPeakHourErrors,
    peakDayHit: dayOf(predictedPeak) === dayOf(observedPeak),
    actualPeakWeekday: new Date(f.start + observedPeak * HOUR_MS).getUTCDay(),
    peakRateError: abs(f.p50[predictedPeak] - actual[observedPeak]) / actual[observedPeak],
    hours: n,
    p90Hits,
    bandHits,
    absError,
    actualSum
  }
}

export function summarize(weeks: readonly WeekScore[]): BacktestMetrics {
  const mean = (xs: number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN)
  const sum = (pick: (w: WeekScore) => number) => weeks.reduce((acc, w) => acc + pick(w), 0)
  const hours = sum(w => w.hours)
  return {
    peakHourMaeH: mean(weeks.flatMap(w => w.dayPeakHourErrors)),
    peakDayAccuracy: mean(weeks.map(w => (w.peakDayHit ? 1 : 0))),
    peakRateMape: 100 * mean(weeks.map(w => w.peakRateError)),
    p90Coverage: sum(w => w.p90Hits) / hours,
    bandCoverage: sum(w => w.bandHits) / hours,
    wape: (100 * sum(w => w.absError)) / sum(w => w.actualSum),
    weeks: weeks.length
  }
}

/** Share of weeks whose actual peak fell on the most frequent peak weekday; NaN without weeks. */
export function peakDayHindsight(weeks: readonly WeekScore[]): number {
  const count = new Array<number>(7).fill(0)
  for (const w of weeks) count[w.actualPeakWeekday]++
  return weeks.length > 0 ? max(...count) / weeks.length : NaN
}

/** Monday 00:00Z origins after the warm-up whose whole horizon has actual data. */
export function weeklyOrigins(start: number, length: number, warmupWeeks: number, horizon: number): number[] {
  const end = start + length * HOUR_MS
  const origins: number[] = []
  for (let o = nextMondayUtc(start + warmupWeeks * WEEK_MS); o + horizon * HOUR_MS <= end; o += WEEK_MS) {
    origins.push(o)
  }
  return origins
}

/** values: hourly requests, values[i] at start + i h (start hour-aligned, no gaps). */
export async function backtest(
  values: number[],
  start: number,
  forecasters: Forecaster[],
  opts: BacktestOptions = {}
): Promise<BacktestResult> {
  const warmupWeeks = opts.warmupWeeks ?? 8
  const horizon = opts.horizon ?? WEEK_HOURS
  const historyWeeks = opts.historyWeeks ?? 30
  if (start % HOUR_MS !== 0) {
    throw new PeakcastError(`backtest needs an hour-aligned start, got ${new Date(start).toISOString()}`, { field: 'start' })
  }
  const origins = weeklyOrigins(start, values.length, warmupWeeks, horizon)
  if (origins.length === 0) {
    throw new PeakcastError(
      `${values.length} hours of data leave no weekly origin after ${warmupWeeks} warm-up weeks and a ${horizon} h horizon`,
      { field: 'data' },
      `provide at least ${warmupWeeks + 2} weeks of hourly telemetry or lower the warm-up`
    )
  }

  const scores = forecasters.map(() => [] as WeekScore[])
  const rows = forecasters.map(() => [] as PredictionRow[])
  const models = forecasters.map(f => f.id)
  for (const origin of origins) {
    const at = (origin - start) / HOUR_MS
    const from = max(0, at - historyWeeks * WEEK_HOURS)
    const history = values.slice(from, at)
    const { mask } = detectAnomalies(history, start + from * HOUR_MS, HOUR_MS)
    const actual = values.slice(at, at + horizon)
    for (const [k, forecaster] of forecasters.entries()) {
      const f = await forecaster.forecast({ history, origin, horizon, excluded: mask })
      if (f.p50.length < horizon || f.p10.length < horizon || f.p90.length < horizon) {
        throw new Error(`forecaster ${forecaster.id} returned fewer than ${horizon} hours`)
      }
      models[k] = f.model
      scores[k].push(scoreWeek(f, actual))
      for (let h = 0; h < horizon; h++) {
        rows[k].push({ origin, timestamp: origin + h * HOUR_MS, p10: f.p10[h], p50: f.p50[h], p90: f.p90[h] })
      }
    }
  }
  return {
    origins,
    horizon,
    warmupWeeks,
    historyWeeks,
    peakDayHindsight: peakDayHindsight(scores[0]),
    forecasters: forecasters.map((f, k) => ({
      id: f.id,
      model: models[k],
      metrics: summarize(scores[k]),
      weekScores: scores[k],
      predictions: rows[k]
    }))
  }
}
