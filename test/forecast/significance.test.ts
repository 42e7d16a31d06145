import { describe, expect, test } from '@jest/globals'
import type { WeekScore } from '../../src/forecast/backtest.js'
import { compareWeekScores, type ComparedMetric } from '../../src/forecast/significance.js'
import { mulberry32 } from '../../src/util/random.js'

const MAPE: ComparedMetric<'mape'> = { key: 'mape', value: m => m.peakRateMape, badness: v => v }

/** Weeks that differ only in their peak-rate error. */
const weeks = (errors: number[]): WeekScore[] =>
  errors.map(e => ({
    dayPeakHourErrors: [1],
    peakDayHit: true,
    actualPeakWeekday: 5,
    peakRateError: e,
    hours: 24,
    p90Hits: 20,
    bandHits: 18,
    absError: 10,
    actualSum: 100
  }))

describe('compareWeekScores', () => {
  test('the interval brackets the observed difference and the same inputs give the same answer', () => {
    const next = mulberry32(7)
    const a = Array.from({ length: 30 }, () => 0.05 + 0.1 * next())
    const b = a.map(x => x + 0.02 + 0.05 * (next() - 0.5))
    const d = compareWeekScores(weeks(a), weeks(b), [MAPE]).mape
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length
    expect(d.delta).toBeCloseTo(100 * (mean(a) - mean(b)), 9)
    expect(d.lo).toBeLessThanOrEqual(d.delta)
    expect(d.hi).toBeGreaterThanOrEqual(d.delta)
    expect(d.change).toBe('better')
    expect(compareWeekScores(weeks(a), weeks(b), [MAPE]).mape).toEqual(d)
    // another seed moves the interval a little, not the verdict
    const other = compareWeekScores(weeks(a), weeks(b), [MAPE], { seed: 99 }).mape
    expect(other.change).toBe('better')
  })

  test('two forecasters with the same error distribution are rarely called different (false alarms ≤ 8 % over 26 weeks)', () => {
    const next = mulberry32(2024)
    let alarms = 0
    const trials = 200
    for (let t = 0; t < trials; t++) {
      const a = Array.from({ length: 26 }, () => 0.2 * next())
      const b = Array.from({ length: 26 }, () => 0.2 * next())
      if (compareWeekScores(weeks(a), weeks(b), [MAPE], { resamples: 400, seed: t }).mape.change !== 'same') alarms++
    }
    expect(alarms).toBeLessThanOrEqual(0.08 * trials)
  })

  test('a real difference hidden in noisy weeks is found', () => {
    const next = mulberry32(5)
    const a = Array.from({ length: 40 }, () => 0.2 * next())
    const better = a.map(x => x * 0.6)
    expect(compareWeekScores(weeks(better), weeks(a), [MAPE]).mape.change).toBe('better')
    expect(compareWeekScores(weeks(a), weeks(better), [MAPE]).mape.change).toBe('worse')
  })

  test('needs paired weeks; one week tells nothing', () => {
    expect(() => compareWeekScores(weeks([0.1, 0.2]), weeks([0.1]), [MAPE])).toThrow(/same weeks/)
    const one = compareWeekScores(weeks([0.1]), weeks([0.5]), [MAPE]).mape
    expect(one.change).toBe('same')
    expect(one.delta).toBeCloseTo(-40, 9)
    expect(one.lo).toBeNaN()
  })
})
