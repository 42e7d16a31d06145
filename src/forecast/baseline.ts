/**
 * Seasonal-naive forecaster: each future hour is the mean of the same hour of week over the
 * last K weeks, optionally scaled to last week's level. It is both a fallback model and the
 * yardstick every learned model must beat in the backtest.
 *
 * Intervals are not guessed: the forecaster replays itself at weekly pseudo-origins inside the
 * history, collects actual/predicted ratios per UTC hour of day, and uses their 10th/90th
 * percentiles. So the P10–P90 band is as wide as this model's own recent errors were.
 */

import { PeakcastError } from '../util/errors.js'
import { HOUR_MS } from '../telemetry/series.js'
import type { Forecast, Forecaster, ForecastInput } from './forecaster.js'
import { DAY_HOURS, WEEK_HOURS, hourOfDay } from './calendar.js'
import { quantileSorted } from './quantile.js'

// Module-level aliases: global lookups are very slow inside jest's vm sandbox (see calendar.ts).
const { floor, max, min } = Math
const isFiniteNumber = Number.isFinite

export interface SeasonalBaselineOptions {
  /** weeks averaged per hour of week; default 4 */
  weeks?: number
  /** scale by the ratio of the last 7 days to the K-week mean; default false (plain mean) */
  levelAdjust?: boolean
  /** bounds for that ratio; default [0.5, 2] so one odd week cannot halve or triple a forecast */
  levelClamp?: [number, number]
  /** weekly pseudo-origins replayed to learn the error quantiles; default 12 */
  calibrationWeeks?: number
}

type Settings = Required<SeasonalBaselineOptions>

const DEFAULTS: Settings = { weeks: 4, levelAdjust: false, levelClamp: [0.5, 2], calibrationWeeks: 26 }

/** Fewer ratios than this in an hour-of-day bucket: use the pooled ratios instead. */
const MIN_BUCKET_SAMPLES = 20

export class SeasonalBaseline implements Forecaster {
  readonly id: string
  private readonly settings: Settings

  constructor(options: SeasonalBaselineOptions = {}) {
    this.settings = { ...DEFAULTS, ...options }
    if (!Number.isInteger(this.settings.weeks) || this.settings.weeks < 1) {
      throw new PeakcastError(`weeks must be a positive integer, got ${this.settings.weeks}`, { field: 'weeks' })
    }
    this.id = this.settings.levelAdjust ? 'seasonal-naive-level' : 'seasonal-naive'
  }

  async forecast(input: ForecastInput): Promise<Forecast> {
    return seasonalForecast(input, this.settings, this.id)
  }
}

function seasonalForecast(input: ForecastInput, settings: Settings, model: string): Forecast {
  const { history, origin, horizon } = input
  if (!Number.isInteger(horizon) || horizon < 1) {
    throw new PeakcastError(`horizon must be a positive whole number of hours, got ${horizon}`, { field: 'horizon' })
  }
  if (history.length < WEEK_HOURS) {
    throw new PeakcastError(
      `the seasonal baseline needs at least ${WEEK_HOURS} hours of history, got ${history.length}`,
      { field: 'history' },
      'provide at least one full week of hourly telemetry'
    )
  }
  if (input.excluded && input.excluded.length !== history.length) {
    throw new PeakcastError(`excluded has ${input.excluded.length} entries, history has ${history.length}`, {
      field: 'excluded'
    })
  }
  const usable = history.map((v, i) => isFiniteNumber(v) && !input.excluded?.[i])
  if (!usable.some(Boolean)) {
    throw new PeakcastError('every hour of history is excluded or missing', { field: 'history' })
  }

  const p50 = seasonalPoints(history, usable, history.length, horizon, settings)
  const ratios = calibrationRatios(history, usable, origin, settings)
  const p10: number[] = []
  const p90: number[] = []
  for (let h = 0; h < horizon; h++) {
    const band = ratios(hourOfDay(origin + h * HOUR_MS))
    p10.push(max(0, p50[h] * min(band.lo, 1)))
    p90.push(p50[h] * max(band.hi, 1))
  }
  return { start: origin, stepMs: HOUR_MS, p10, p50, p90, model }
}

/** Point forecasts for hours end .. end+horizon-1, seeing only values[0, end). */
function seasonalPoints(values: number[], usable: boolean[], end: number, horizon: number, s: Settings): number[] {
  const points: number[] = []
  for (let h = 0; h < horizon; h++) {
    // the most recent same hour of week that lies in the history
    const firstLag = floor(h / WEEK_HOURS) + 1
    points.push(sameHourMean(values, usable, end + h, firstLag, s.weeks) ?? fallback(values, usable, end, h, s.weeks))
  }
  if (!s.levelAdjust) return points
  const level = levelRatio(values, usable, end, s)
  return points.map(p => p * level)
}

/** Mean of up to `weeks` usable values at t - k weeks, k ≥ firstLag, looking back at most 2×weeks weeks. */
function sameHourMean(
  values: number[],
  usable: boolean[],
  t: number,
  firstLag: number,
  weeks: number,
  period = WEEK_HOURS
): number | undefined {
  let sum = 0
  let count = 0
  for (let k = firstLag; k < firstLag + 2 * weeks && count < weeks; k++) {
    const i = t - k * period
    if (i < 0) break
    if (!usable[i]) continue
    sum += values[i]
    count += 1
  }
  return count > 0 ? sum / count : undefined
}

/** When every same-hour-of-week value is excluded: same hour of day on recent days, else the usable mean. */
function fallback(values: number[], usable: boolean[], end: number, h: number, weeks: number): number {
  const daily = sameHourMean(values, usable, end + h, floor(h / DAY_HOURS) + 1, weeks, DAY_HOURS)
  if (daily !== undefined) return daily
  let sum = 0
  let count = 0
  for (let i = 0; i < end; i++) {
    if (usable[i]) {
      sum += values[i]
      count += 1
    }
  }
  return count > 0 ? sum / count : 0
}

/**
 * Last week's usable hours against the K-week same-hour mean at those hours (paired, so
 * excluded hours do not skew it), clamped.
 */
function levelRatio(values: number[], usable: boolean[], end: number, s: Settings): number {
  let actual = 0
  let typical = 0
  for (let i = max(0, end - WEEK_HOURS); i < end; i++) {
    if (!usable[i]) continue
    const mean = sameHourMean(values, usable, i, 0, s.weeks)
    if (mean === undefined) continue
    actual += values[i]
    typical += mean
  }
  if (typical <= 0) return 1
  const [lo, hi] = s.levelClamp
  return min(hi, max(lo, actual / typical))
}

/**
 * Replays the forecaster at weekly pseudo-origins before the real one and returns, per UTC
 * hour of day, the 10th and 90th percentile of actual/predicted.
 */
function calibrationRatios(
  values: number[],
  usable: boolean[],
  origin: number,
  s: Settings
): (hour: number) => { lo: number; hi: number } {
  const n = values.length
  const byHour: number[][] = Array.from({ length: DAY_HOURS }, () => [])
  for (let j = 1; j <= s.calibrationWeeks; j++) {
    const end = n - j * WEEK_HOURS
    if (end < WEEK_HOURS) break
    const predicted = seasonalPoints(values, usable, end, WEEK_HOURS, s)
    for (let h = 0; h < WEEK_HOURS; h++) {
      const i = end + h
      if (!isFiniteNumber(values[i]) || !(predicted[h] > 0)) continue
      byHour[hourOfDay(origin - (n - i) * HOUR_MS)].push(values[i] / predicted[h])
    }
  }
  const sortAsc = (xs: number[]) => Float64Array.from(xs).sort()
  const pooled = sortAsc(byHour.flat())
  const bands = byHour.map(rs => {
    const sorted = rs.length >= MIN_BUCKET_SAMPLES ? sortAsc(rs) : pooled
    // no past errors at all (history shorter than two weeks): a zero-width band, honestly unknown
    return sorted.length === 0 ? { lo: 1, hi: 1 } : { lo: quantileSorted(sorted, 0.1), hi: quantileSorted(sorted, 0.9) }
  })
  return hour => bands[hour]
}
