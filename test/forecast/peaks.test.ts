import fc from 'fast-check'
import { argmaxFirst, extractPeaks, lastWeekPeak } from '../../src/forecast/peaks.js'
import type { Forecast } from '../../src/forecast/forecaster.js'
import { HOUR, MONDAY } from '../helpers/traffic.js'

function forecast(p50: number[], start = MONDAY): Forecast {
  return { start, stepMs: HOUR, p10: p50.map(v => v * 0.9), p50, p90: p50.map(v => v * 1.2), model: 'test' }
}

describe('extractPeaks', () => {
  it('finds the peak hour, its UTC day and its rate in requests per second', () => {
    const p50 = Array.from({ length: 48 }, (_, h) => 100 + h)
    p50[38] = 7200 // Tuesday 14:00Z
    p50[44] = 7200 // a tie later the same day: the earliest wins
    p50[5] = 3600
    const { peak, days } = extractPeaks(forecast(p50))
    expect(peak).toEqual({ at: MONDAY + 38 * HOUR, day: '2026-01-06', hour: '14:00Z', rps: { p10: 1.8, p50: 2, p90: 2.4 } })
    expect(days).toEqual([
      { day: '2026-01-05', peakHour: '05:00Z', rps: { p10: 0.9, p50: 1, p90: 1.2 } },
      { day: '2026-01-06', peakHour: '14:00Z', rps: { p10: 1.8, p50: 2, p90: 2.4 } }
    ])
  })

  it('splits a forecast that does not start at midnight into UTC days', () => {
    const start = MONDAY + 20 * HOUR
    const p50 = Array.from({ length: 30 }, (_, h) => (h === 2 ? 500 : h === 10 ? 900 : h === 29 ? 50 : 10))
    const { days } = extractPeaks(forecast(p50, start))
    expect(days.map(d => [d.day, d.peakHour])).toEqual([
      ['2026-01-05', '22:00Z'],
      ['2026-01-06', '06:00Z'],
      ['2026-01-07', '01:00Z']
    ])
  })

  it('always reports the first maximum of P50 (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 200 }), values => {
        const { peak } = extractPeaks(forecast(values))
        const max = Math.max(...values)
        expect(peak.rps.p50 * 3600).toBeCloseTo(max, 9)
        expect(peak.at).toBe(MONDAY + values.indexOf(max) * HOUR)
      })
    )
  })

  it('rejects an empty forecast', () => {
    expect(() => extractPeaks(forecast([]))).toThrow(/empty/)
  })
})

describe('argmaxFirst', () => {
  it('searches the given range and returns -1 for an empty one', () => {
    expect(argmaxFirst([5, 9, 9, 1], 0, 4)).toBe(1)
    expect(argmaxFirst([5, 9, 9, 1], 2, 4)).toBe(2)
    expect(argmaxFirst([5, 9], 1, 1)).toBe(-1)
  })
})

describe('lastWeekPeak', () => {
  it('is the busiest hour of the 168 h before the origin, in requests per second', () => {
    const values = Array.from({ length: 400 }, (_, i) => (i % 24) * 100)
    values[10] = 1e9 // older than a week before the origin: ignored
    values[300] = 36_000
    values[399] = 1e9 // at or after the origin: ignored
    const origin = MONDAY + 399 * HOUR
    expect(lastWeekPeak({ values, start: MONDAY }, origin)).toBe(10)
    expect(lastWeekPeak({ values, start: MONDAY }, MONDAY)).toBe(0)
  })
})
