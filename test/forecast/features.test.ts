import fc from 'fast-check'
import {
  FEATURE_HISTORY_HOURS,
  buildFeatureRows,
  cleanHistory,
  featureNames,
  fromPrediction,
  onnxFeatureNames,
  rollingLevel,
  toTarget,
  trainingMatrix
} from '../../src/forecast/features.js'
import { PeakcastError } from '../../src/util/errors.js'
import { HOUR, MONDAY, loadHourly, periodic } from '../helpers/traffic.js'

const names = featureNames()
const col = (name: string) => {
  const i = names.indexOf(name)
  if (i < 0) throw new Error(`no feature ${name}`)
  return i
}
const rowsOf = (history: number[], origin = MONDAY, horizon = 168, excluded?: boolean[]) =>
  buildFeatureRows({ history, origin, horizon, excluded }).map(r => Array.from(r))

describe('feature names', () => {
  it('are unique, and the ONNX columns are f0..fN in the same count', () => {
    expect(new Set(names).size).toBe(names.length)
    expect(onnxFeatureNames()).toEqual(names.map((_, i) => `f${i}`))
  })
})

describe('buildFeatureRows', () => {
  const history = periodic(6, 0.1, 7)
  const origin = MONDAY + history.length * HOUR

  it('computes the weekly lags, calendar and horizon from the history before the origin', () => {
    const rows = rowsOf(history, origin)
    const n = history.length
    const lastWeek = history.slice(n - 168)
    const level = lastWeek.reduce((a, b) => a + b, 0) / 168
    expect(rows).toHaveLength(168)
    for (const h of [0, 13, 100, 167]) {
      for (const k of [1, 2, 3, 4]) {
        expect(rows[h][col(`lag_${k}w`)]).toBeCloseTo(history[n + h - 168 * k] / level, 5)
      }
      expect(rows[h][col('last_day_same_hour')]).toBeCloseTo(history[n - 24 + (h % 24)] / level, 5)
      expect(rows[h][col('hour_of_day')]).toBe(new Date(origin + h * HOUR).getUTCHours())
      expect(rows[h][col('day_of_week')]).toBe(new Date(origin + h * HOUR).getUTCDay())
      expect(rows[h][col('horizon')]).toBe(h)
    }
    expect(rows[0][col('week_peak')]).toBeCloseTo(Math.max(...lastWeek) / level, 5)
    expect(rollingLevel({ history })).toBeCloseTo(level, 6)
  })

  it('gives the same rows when the history is 1024× larger (exact) or 10× larger (to float precision)', () => {
    const base = rowsOf(history, origin)
    expect(rowsOf(history.map(v => v * 1024), origin)).toEqual(base)
    const tenfold = rowsOf(history.map(v => v * 10), origin)
    tenfold.forEach((row, h) => row.forEach((v, j) => expect(Math.abs(v - base[h][j])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(base[h][j])))))
  })

  it('is scale invariant for any positive history and scale (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: 168, maxLength: 700 }),
        fc.double({ min: 1e-3, max: 1e4, noNaN: true }),
        (h, scale) => {
          const a = rowsOf(h, MONDAY, 24)
          const b = rowsOf(h.map(v => v * scale), MONDAY, 24)
          a.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(b[i][j] - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v)))))
        }
      ),
      { numRuns: 40 }
    )
  })

  it('depends only on the last FEATURE_HISTORY_HOURS of history', () => {
    const long = periodic(10, 0.1, 3)
    const tail = long.slice(long.length - FEATURE_HISTORY_HOURS)
    const garbage = long.map((v, i) => (i < long.length - FEATURE_HISTORY_HOURS ? v * 50 : v))
    expect(rowsOf(garbage, origin)).toEqual(rowsOf(tail, origin))
  })

  it('replaces excluded hours by the median of the same hour in the other weeks', () => {
    const spiked = [...history]
    const at = history.length - 30 // inside the last week: changes lags, level and last day
    spiked[at] = history[at] * 40
    const excluded = spiked.map((_, i) => i === at)
    const others = [1, 2, 3, 4, 5].map(k => history[at - 168 * k]).sort((a, b) => a - b)
    const repaired = [...history]
    repaired[at] = others[2]
    expect(rowsOf(spiked, origin, 168, excluded)).toEqual(rowsOf(repaired, origin))
    expect(rowsOf(spiked, origin)).not.toEqual(rowsOf(repaired, origin))
    expect(cleanHistory([1, NaN, 3], undefined)[1]).toBe(2) // no same hour of week or day: median of the rest
  })

  it('pads one to three weeks of history by repeating the oldest week, and refuses less than a week', () => {
    const oneWeek = history.slice(-168)
    const rows = rowsOf(oneWeek, origin)
    for (const h of [0, 50, 167]) {
      const lag1 = rows[h][col('lag_1w')]
      expect(rows[h][col('lag_4w')]).toBe(lag1)
    }
    expect(() => rowsOf(history.slice(-100), origin)).toThrow(PeakcastError)
    expect(() => rowsOf(history, origin + 1)).toThrow(/full hour/)
    expect(() => rowsOf(history, origin, 169)).toThrow(/horizon/)
    expect(() => buildFeatureRows({ history, origin, horizon: 10, excluded: [true] })).toThrow(/excluded/)
  })
})

describe('trainingMatrix', () => {
  it('never looks ahead: changing values at or after an origin leaves that origin’s rows unchanged', async () => {
    const { start, values } = await loadHourly('nab/realKnownCause/nyc_taxi.csv')
    const series = values.slice(0, 1400)
    const opts = { horizon: 168, originsEvery: 23 }
    const m = trainingMatrix(series, start, opts)
    const origins = Math.floor((series.length - 168 - FEATURE_HISTORY_HOURS) / 23) + 1
    expect(m.X).toHaveLength(origins * 168)

    const k = 5 // the sixth origin
    const cut = FEATURE_HISTORY_HOURS + k * 23
    const changed = series.map((v, i) => (i >= cut ? v * 3 + 17 : v))
    const m2 = trainingMatrix(changed, start, opts)
    const upTo = (k + 1) * 168 // rows of origins 0..k
    expect(m2.X.slice(0, upTo)).toEqual(m.X.slice(0, upTo))
    expect(m2.X.slice(upTo)).not.toEqual(m.X.slice(upTo))
    // targets of origin k are the changed future values, turned into model targets the same way
    const rows = buildFeatureRows({ history: changed.slice(cut - FEATURE_HISTORY_HOURS, cut), origin: start + cut * HOUR, horizon: 168 })
    const level = rollingLevel({ history: changed.slice(cut - FEATURE_HISTORY_HOURS, cut) })
    for (const h of [0, 77, 167]) {
      expect(m2.y[k * 168 + h]).toBeCloseTo(changed[cut + h] / level - rows[h][col('seasonal_mean_4w')], 9)
      expect(fromPrediction(m2.y[k * 168 + h], level, rows[h])).toBeCloseTo(changed[cut + h], 3)
    }
  })

  it('drops no rows unless a target is missing, and toTarget/fromPrediction are inverse', () => {
    const values = periodic(6, 0.05, 11)
    values[values.length - 1] = NaN
    const m = trainingMatrix(values, MONDAY, { horizon: 168, originsEvery: 24 })
    const origins = Math.floor((values.length - 168 - FEATURE_HISTORY_HOURS) / 24) + 1
    expect(m.X.length).toBe(origins * 168 - 1) // only the last origin reaches the missing hour
    expect(m.names).toEqual(names)
    const row = m.X[3]
    expect(fromPrediction(toTarget(1234, 987, row), 987, row)).toBeCloseTo(1234, 6)
  })
})
