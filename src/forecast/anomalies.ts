/**
 * Finds stretches of telemetry that must not teach the forecaster: outages, spikes, flat lines
 * (a stuck exporter) and sustained level shifts (holidays, incidents). Each hour is compared
 * with what that hour of week usually looks like — the median of the same hour in the
 * neighbouring weeks, so an anomaly never shapes its own yardstick — on a log scale, and
 * judged against a robust (MAD) spread of those residuals for its hour of day.
 */

import { PeakcastError } from '../util/errors.js'
import { HOUR_MS } from '../telemetry/series.js'
import type { Anomaly } from './forecaster.js'
import { DAY_MS, WEEK_MS } from './calendar.js'
import { median } from './quantile.js'

// Module-level aliases: global lookups are very slow inside jest's vm sandbox (see calendar.ts).
const { abs, floor, log, max, min, round, sign } = Math
const isFiniteNumber = Number.isFinite

export interface AnomalyOptions {
  /** weeks on each side whose same-hour values form the expected value; default 4 */
  neighbourWeeks?: number
  /** robust z-score beyond which a single bucket is a spike (or a sharp dip); default 5 */
  spikeZ?: number
  /** robust z-score of the day-smoothed residual beyond which a change is a level shift; default 4 */
  shiftZ?: number
  /** hours a change must last to count as a level shift; default 12 */
  shiftHours?: number
  /** a value at or below this fraction of the expected one, where traffic is normally busy, is an outage; default 0.1 */
  outageFraction?: number
  /** identical consecutive values that make a flat line; default 6 */
  flatlineRun?: number
  /** copied into every anomaly found */
  endpoint?: string
}

type Kind = Anomaly['kind']

/** MAD → standard deviation for normal data */
const MAD_SCALE = 1.4826
/** below this spread (log units, ≈1 %) residuals are treated as noise-free rounding */
const MIN_SIGMA = 0.01
/** the expected value must be at least this share of the typical level to call traffic "busy" */
const BUSY_FRACTION = 0.1
/** expected values must vary by this much across a flat run for it to be suspicious */
const FLAT_VARIATION = 0.1

/**
 * values[i] is the bucket at start + i·stepMs. Kinds: outage = near zero where traffic is
 * normally busy, or a short sharp dip; spike = a short sharp rise; flatline = a run of identical
 * values where the same hours normally vary; level-shift = a change sustained for shiftHours
 * (either direction). Needs at least three weeks to judge an hour; with less it reports nothing.
 * `mask[i]` is true for every bucket inside an anomaly: the forecaster's `excluded`.
 */
export function detectAnomalies(
  values: number[],
  start: number,
  stepMs: number,
  opts: AnomalyOptions = {}
): { anomalies: Anomaly[]; mask: boolean[] } {
  const o = {
    neighbourWeeks: 4,
    spikeZ: 5,
    shiftZ: 4,
    shiftHours: 12,
    outageFraction: 0.1,
    flatlineRun: 6,
    ...opts
  }
  if (!Number.isInteger(stepMs) || stepMs <= 0 || WEEK_MS % stepMs !== 0) {
    throw new PeakcastError(`anomaly detection needs a step that divides a week, got ${stepMs} ms`, { field: 'stepMs' })
  }
  const n = values.length
  const period = WEEK_MS / stepMs
  const perDay = DAY_MS / stepMs
  const expected = seasonalExpected(values, period, o.neighbourWeeks)
  const known = expected.filter(isFiniteNumber)
  if (known.length === 0) return { anomalies: [], mask: new Array<boolean>(n).fill(false) }

  const level = median(known)
  // the offset keeps near-silent hours from producing huge log ratios out of a handful of requests
  const offset = max(1e-9, 0.05 * level)
  const residual = values.map((v, i) =>
    isFiniteNumber(v) && isFiniteNumber(expected[i]) ? log((v + offset) / (expected[i] + offset)) : NaN
  )
  const sigma = spreadByTimeOfDay(residual, start, stepMs, perDay)

  const kinds: (Kind | undefined)[] = new Array(n).fill(undefined)
  // weakest first: later rules overwrite earlier ones
  for (let i = 0; i < n; i++) {
    const z = residual[i] / sigma[i]
    if (abs(z) > o.spikeZ) kinds[i] = z > 0 ? 'spike' : 'outage'
  }
  const shiftWindow = max(1, round((o.shiftHours * HOUR_MS) / stepMs))
  markLevelShifts(residual, kinds, shiftWindow, o.shiftZ)
  markFlatlines(values, expected, level, kinds, o.flatlineRun)
  for (let i = 0; i < n; i++) {
    if (expected[i] >= BUSY_FRACTION * level && values[i] <= o.outageFraction * expected[i]) kinds[i] = 'outage'
  }

  const anomalies: Anomaly[] = []
  for (let i = 0; i < n; ) {
    const kind = kinds[i]
    let j = i + 1
    while (j < n && kinds[j] === kind) j++
    if (kind) {
      anomalies.push({
        from: start + i * stepMs,
        to: start + j * stepMs,
        kind,
        ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {})
      })
    }
    i = j
  }
  return { anomalies, mask: kinds.map(k => k !== undefined) }
}

/** Median of the same slot in up to `weeks` weeks on each side (not the slot itself); NaN with fewer than 2. */
function seasonalExpected(values: number[], period: number, weeks: number): number[] {
  const around: number[] = []
  return values.map((_, i) => {
    let count = 0
    for (let k = 1; k <= weeks; k++) {
      for (const j of [i - k * period, i + k * period]) {
        if (j >= 0 && j < values.length && isFiniteNumber(values[j])) around[count++] = values[j]
      }
    }
    return count >= 2 ? smallMedian(around, count) : NaN
  })
}

/** Median of buf[0, count) by insertion sort in place: the windows here are a few dozen values, called per bucket. */
function smallMedian(buf: number[], count: number): number {
  for (let a = 1; a < count; a++) {
    const x = buf[a]
    let b = a - 1
    while (b >= 0 && buf[b] > x) {
      buf[b + 1] = buf[b]
      b--
    }
    buf[b + 1] = x
  }
  const mid = count >> 1
  return count % 2 === 1 ? buf[mid] : (buf[mid - 1] + buf[mid]) / 2
}

/** Robust spread of the residuals per time of day (night traffic is noisier than the afternoon). */
function spreadByTimeOfDay(residual: number[], start: number, stepMs: number, perDay: number): number[] {
  const slotOf = (i: number) => (((floor((start + i * stepMs) / stepMs) % perDay) + perDay) % perDay)
  const buckets: number[][] = Array.from({ length: perDay }, () => [])
  residual.forEach((r, i) => {
    if (isFiniteNumber(r)) buckets[slotOf(i)].push(r)
  })
  const overall = mad(buckets.flat())
  const bySlot = buckets.map(rs => (rs.length >= 14 ? mad(rs) : overall))
  return residual.map((_, i) => max(MIN_SIGMA, bySlot[slotOf(i)]))
}

function mad(xs: number[]): number {
  if (xs.length === 0) return MIN_SIGMA
  const m = median(xs)
  return MAD_SCALE * median(xs.map(x => abs(x - m)))
}

/**
 * A level shift is a run of at least `window` buckets whose centred rolling median residual
 * stays beyond shiftZ times the spread of that smoothed residual, in one direction.
 */
function markLevelShifts(residual: number[], kinds: (Kind | undefined)[], window: number, shiftZ: number): void {
  const n = residual.length
  const half = floor(window / 2)
  const buf: number[] = []
  const smooth = residual.map((_, i) => {
    let count = 0
    for (let j = max(0, i - half); j < min(n, i + half + 1); j++) {
      if (isFiniteNumber(residual[j])) buf[count++] = residual[j]
    }
    return count > 0 ? smallMedian(buf, count) : NaN
  })
  const scale = max(MIN_SIGMA, mad(smooth.filter(isFiniteNumber)))
  const direction = smooth.map(s => (abs(s) > shiftZ * scale ? sign(s) : 0))
  for (let i = 0; i < n; ) {
    let j = i + 1
    while (j < n && direction[j] === direction[i]) j++
    if (direction[i] !== 0 && j - i >= window) for (let k = i; k < j; k++) kinds[k] = 'level-shift'
    i = j
  }
}

/** Runs of identical values where the same hours normally vary: a stuck counter, not quiet traffic. */
function markFlatlines(
  values: number[],
  expected: number[],
  level: number,
  kinds: (Kind | undefined)[],
  minRun: number
): void {
  const n = values.length
  for (let i = 0; i < n; ) {
    let j = i + 1
    while (j < n && values[j] === values[i]) j++
    if (j - i >= minRun) {
      const e = expected.slice(i, j).filter(isFiniteNumber)
      const lo = min(...e)
      const hi = max(...e)
      const mean = e.reduce((a, b) => a + b, 0) / max(1, e.length)
      if (e.length > 0 && mean >= BUSY_FRACTION * level && hi - lo >= FLAT_VARIATION * mean) {
        for (let k = i; k < j; k++) kinds[k] = 'flatline'
      }
    }
    i = j
  }
}
