/**
 * The peak of a forecast: the hour the workload is sized for, plus the peak of every day so a
 * reviewer sees the shape of the week. Forecast values are requests per step (hour); peaks are
 * reported in requests per second.
 */

import { PeakcastError } from '../util/errors.js'
import { HOUR_MS, toRps } from '../telemetry/series.js'
import type { Forecast, Peak } from './forecaster.js'
import { WEEK_MS, utcDay, utcHourLabel } from './calendar.js'

export interface DayPeak {
  /** "2026-11-27" (UTC) */
  day: string
  /** "14:00Z" */
  peakHour: string
  rps: { p10: number; p50: number; p90: number }
}

/** Index of the largest value in [from, to); ties go to the earliest. -1 when the range is empty. */
export function argmaxFirst(values: readonly number[], from = 0, to = values.length): number {
  let best = -1
  for (let i = from; i < to; i++) {
    if (best < 0 || values[i] > values[best]) best = i
  }
  return best
}

export function extractPeaks(f: Forecast): { peak: Peak; days: DayPeak[] } {
  if (f.p50.length === 0) throw new PeakcastError('the forecast is empty', { field: 'p50' })
  const rpsAt = (i: number) => ({
    p10: toRps(f.p10[i], f.stepMs),
    p50: toRps(f.p50[i], f.stepMs),
    p90: toRps(f.p90[i], f.stepMs)
  })
  const at = (i: number) => f.start + i * f.stepMs

  const top = argmaxFirst(f.p50)
  const peak: Peak = { at: at(top), day: utcDay(at(top)), hour: utcHourLabel(at(top)), rps: rpsAt(top) }

  const days: DayPeak[] = []
  let from = 0
  while (from < f.p50.length) {
    const day = utcDay(at(from))
    let to = from + 1
    while (to < f.p50.length && utcDay(at(to)) === day) to++
    const i = argmaxFirst(f.p50, from, to)
    days.push({ day, peakHour: utcHourLabel(at(i)), rps: rpsAt(i) })
    from = to
  }
  return { peak, days }
}

/** Observed values with their clock; values[i] is the bucket starting at start + i·stepMs. */
export interface TimedValues {
  values: readonly number[]
  start: number
  stepMs?: number
}

/** Requests per second of the busiest bucket in the week [origin − 168 h, origin); 0 when that week has no data. */
export function lastWeekPeak(history: TimedValues, origin: number): number {
  const stepMs = history.stepMs ?? HOUR_MS
  const from = Math.max(0, Math.ceil((origin - WEEK_MS - history.start) / stepMs))
  const to = Math.min(history.values.length, Math.ceil((origin - history.start) / stepMs))
  let max = 0
  for (let i = from; i < to; i++) {
    if (Number.isFinite(history.values[i])) max = Math.max(max, history.values[i])
  }
  return toRps(max, stepMs)
}
