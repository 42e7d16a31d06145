/**
 * The one feature implementation of the XGBoost forecaster, used for training (the matrix
 * `peakcast features` writes; Python never recomputes features) and for serving (OnnxForecaster).
 *
 * Direct multi-horizon: one row per forecast hour h = 0..horizon-1, each built only from history
 * before the origin. Seasonal lags are taken 1..4 weeks before the *target* hour, so they are
 * all at least one week back and no recursion over predictions is needed (horizon ≤ 168).
 * Every level-like value is divided by the rolling level (mean of the last 168 h), and so is the
 * target: one model serves services of any size, and predictions are multiplied back.
 */
import { PeakcastError } from '../util/errors.js'
import type { ForecastInput } from './forecaster.js'

/** Bump whenever a feature's meaning changes: models trained on another version are refused. */
export const FEATURE_VERSION = 'peak-features/2'

const HOUR_MS = 3_600_000
const WEEK = 168
const DAY = 24
/** Features look at most this far back: older history does not change a row. */
export const FEATURE_HISTORY_HOURS = 4 * WEEK
/** Less than one week says nothing about the weekly pattern. */
export const MIN_HISTORY_HOURS = WEEK
export const MAX_HORIZON = WEEK

const FEATURES = [
  'lag_1w', // value at the target hour one week earlier / level
  'lag_2w',
  'lag_3w',
  'lag_4w',
  'seasonal_mean_4w', // mean of the four lags
  'seasonal_median_4w', // robust to one odd week
  'seasonal_spread_4w', // (max - min) of the four lags: how sure the pattern is
  'last_day_same_hour', // the most recent observation at the target's hour of day / level
  'last_hour', // the hour just before the origin / level
  'day_ratio_1w', // last 24 h vs the same 24 h a week earlier: recent momentum
  'trend_1w', // last week vs the week before
  'trend_2w', // last two weeks vs the two before
  'week_peak', // max of the last week / level: shape of the curve
  'hour_of_day', // UTC, of the target hour
  'day_of_week', // UTC, 0 = Sunday, of the target hour
  'horizon' // hours after the origin
] as const

/** Human-readable feature names, in column order (the ONNX inputs are f0..fN in this order). */
export function featureNames(): string[] {
  return [...FEATURES]
}

/** Column names of the ONNX models and of the training matrix: f0..fN. */
export function onnxFeatureNames(): string[] {
  return FEATURES.map((_, i) => `f${i}`)
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 1)

/**
 * Replaces excluded (anomalous) and non-finite hours by the median of the same hour of week in
 * the other weeks, falling back to the same hour of day, then to the median of all usable hours,
 * so an outage or a spike does not teach the model.
 */
export function cleanHistory(history: number[], excluded?: boolean[]): number[] {
  const bad = history.map((v, i) => !Number.isFinite(v) || excluded?.[i] === true)
  if (!bad.includes(true)) return [...history]
  const usable = history.filter((_, i) => !bad[i])
  const fallback = usable.length > 0 ? median(usable) : 0
  const sameSlot = (i: number, period: number): number[] => {
    const out: number[] = []
    for (let j = i % period; j < history.length; j += period) if (!bad[j]) out.push(history[j])
    return out
  }
  return history.map((v, i) => {
    if (!bad[i]) return v
    const weekly = sameSlot(i, WEEK)
    if (weekly.length > 0) return median(weekly)
    const daily = sameSlot(i, DAY)
    return daily.length > 0 ? median(daily) : fallback
  })
}

/** Repeats the oldest week backwards so a 1..3-week history still fills four weekly lags. */
function padToFeatureWindow(h: number[]): number[] {
  if (h.length >= FEATURE_HISTORY_HOURS) return h.slice(h.length - FEATURE_HISTORY_HOURS)
  const missing = FEATURE_HISTORY_HOURS - h.length
  const out = new Array<number>(FEATURE_HISTORY_HOURS)
  for (let i = FEATURE_HISTORY_HOURS - 1; i >= 0; i--) {
    out[i] = i >= missing ? h[i - missing] : out[i + WEEK]
  }
  return out
}

/** The divisor of every level-like feature and of the target: mean of the last 168 h. */
export function rollingLevel(input: Pick<ForecastInput, 'history' | 'excluded'>): number {
  const clean = cleanHistory(input.history, input.excluded)
  return levelOf(clean.slice(-WEEK))
}

function levelOf(lastWeek: number[]): number {
  const m = mean(lastWeek)
  return m > 0 ? m : 1
}

function validate(input: ForecastInput): void {
  if (input.history.length < MIN_HISTORY_HOURS) {
    throw new PeakcastError(
      `the forecaster needs at least ${MIN_HISTORY_HOURS} hours of history, got ${input.history.length}`,
      { field: 'history' },
      'collect at least one week of hourly telemetry (four weeks give the best forecast)'
    )
  }
  if (!Number.isInteger(input.horizon) || input.horizon < 1 || input.horizon > MAX_HORIZON) {
    throw new PeakcastError(`horizon must be an integer 1..${MAX_HORIZON}, got ${input.horizon}`, { field: 'horizon' })
  }
  if (input.origin % HOUR_MS !== 0) {
    throw new PeakcastError(`origin ${new Date(input.origin).toISOString()} is not on a full hour`, { field: 'origin' })
  }
  if (input.excluded && input.excluded.length !== input.history.length) {
    throw new PeakcastError(
      `excluded has ${input.excluded.length} entries, history ${input.history.length}`,
      { field: 'excluded' }
    )
  }
}

/**
 * One feature row per forecast hour. The result depends only on the last
 * FEATURE_HISTORY_HOURS of history (after cleaning), the origin and the horizon.
 */
export function buildFeatureRows(input: ForecastInput): Float32Array[] {
  validate(input)
  const clean = cleanHistory(input.history, input.excluded)
  const x = padToFeatureWindow(clean)
  const n = x.length
  const level = levelOf(x.slice(n - WEEK))
  const lastWeekMean = mean(x.slice(n - WEEK))
  const shared = {
    lastHour: x[n - 1] / level,
    dayRatio: ratio(mean(x.slice(n - DAY)), mean(x.slice(n - WEEK - DAY, n - WEEK))),
    trend1: ratio(lastWeekMean, mean(x.slice(n - 2 * WEEK, n - WEEK))),
    trend2: ratio(mean(x.slice(n - 2 * WEEK)), mean(x.slice(n - 4 * WEEK, n - 2 * WEEK))),
    weekPeak: Math.max(...x.slice(n - WEEK)) / level
  }
  const rows: Float32Array[] = []
  for (let h = 0; h < input.horizon; h++) {
    // index of the target hour in x is n + h; lag k weeks is n + h - 168k (< n since h < 168)
    const lags = [1, 2, 3, 4].map(k => x[n + h - WEEK * k] / level)
    const target = new Date(input.origin + h * HOUR_MS)
    rows.push(
      Float32Array.from([
        ...lags,
        mean(lags),
        median(lags),
        Math.max(...lags) - Math.min(...lags),
        x[n - DAY + (h % DAY)] / level,
        shared.lastHour,
        shared.dayRatio,
        shared.trend1,
        shared.trend2,
        shared.weekPeak,
        target.getUTCHours(),
        target.getUTCDay(),
        h
      ])
    )
  }
  return rows
}

/** Column of the seasonal mean: the anchor the models correct (see toTarget). */
const ANCHOR = FEATURES.indexOf('seasonal_mean_4w')

/**
 * What the models learn: the target hour's value in level units minus the row's seasonal mean
 * (also in level units). A tree ensemble is piecewise constant, so learning "the seasonal mean
 * plus a correction" transfers to curve shapes it never saw, where learning the value itself
 * would have to rebuild the identity from splits. Additive, so hours near zero stay finite.
 */
export function toTarget(value: number, level: number, row: Float32Array): number {
  return value / level - row[ANCHOR]
}

/** Inverse of toTarget: a model output back to requests per hour. */
export function fromPrediction(prediction: number, level: number, row: Float32Array): number {
  return (prediction + row[ANCHOR]) * level
}

export interface TrainingMatrix {
  X: Float32Array[]
  /** target / rolling level, the quantity the models learn */
  y: number[]
  names: string[]
}

export interface TrainingOptions {
  horizon: number
  /** hours between forecast origins; one coprime with 24 varies the origin's hour of day */
  originsEvery: number
  /** anomalous hours: cleaned in histories, and never used as targets */
  excluded?: boolean[]
}

/**
 * Training rows from one hourly series (values[i] at start + i h): rolling origins from the
 * first one with four weeks of history, every `originsEvery` hours, each built exactly as at
 * serving time from the history before it.
 */
export function trainingMatrix(values: number[], start: number, opts: TrainingOptions): TrainingMatrix {
  const X: Float32Array[] = []
  const y: number[] = []
  for (let o = FEATURE_HISTORY_HOURS; o + opts.horizon <= values.length; o += opts.originsEvery) {
    const input: ForecastInput = {
      history: values.slice(o - FEATURE_HISTORY_HOURS, o),
      excluded: opts.excluded?.slice(o - FEATURE_HISTORY_HOURS, o),
      origin: start + o * HOUR_MS,
      horizon: opts.horizon
    }
    const level = rollingLevel(input)
    const rows = buildFeatureRows(input)
    for (let h = 0; h < opts.horizon; h++) {
      const target = values[o + h]
      if (!Number.isFinite(target) || opts.excluded?.[o + h] === true) continue
      X.push(rows[h])
      y.push(toTarget(target, level, rows[h]))
    }
  }
  return { X, y, names: featureNames() }
}
