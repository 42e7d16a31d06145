import { describe, expect, test } from '@jest/globals'
import fc from 'fast-check'
import { summarize, type WeekScore } from '../../src/forecast/backtest.js'
import {
  compareModels,
  comparisonTables,
  differenceCell,
  METRICS,
  recommendation,
  type ScoredForecaster,
  type TraceBacktest
} from '../../src/forecast/compare-models.js'

const N = 20

/** One week's score from per-week values (7 days, 168 hours, actual 1000 per week). */
interface WeekSpec {
  hourErr: number
  hit: boolean
  rateErr: number
  /** share of hours covered by the P90 */
  p90: number
  /** |error| / actual */
  absErr: number
}
const week = (w: WeekSpec): WeekScore => ({
  dayPeakHourErrors: new Array<number>(7).fill(w.hourErr),
  peakDayHit: w.hit,
  actualPeakWeekday: 5,
  peakRateError: w.rateErr,
  hours: 168,
  p90Hits: Math.round(w.p90 * 168),
  bandHits: 120,
  absError: w.absErr * 1000,
  actualSum: 1000
})

/** N weeks around the given levels with the same week-to-week wobble for every model (paired). */
function scored(levels: Partial<{ hourErr: number; hitRate: number; rateErr: number; p90: number; absErr: number }> = {}): ScoredForecaster {
  const { hourErr = 1.5, hitRate = 0.7, rateErr = 0.1, p90 = 0.85, absErr = 0.12 } = levels
  const weeks = Array.from({ length: N }, (_, i) => {
    const wobble = Math.sin(i * 1.7)
    return week({
      hourErr: hourErr + 0.3 * wobble,
      // misses spread over the weeks: week i hits when (7i mod N) falls below the hit rate
      hit: (i * 7) % N < hitRate * N,
      rateErr: Math.max(0, rateErr + 0.02 * wobble),
      p90,
      absErr: absErr + 0.01 * wobble
    })
  })
  return { metrics: summarize(weeks), weekScores: weeks }
}

const WORSE_BASELINE = scored({ hourErr: 3, hitRate: 0.4, rateErr: 0.2, p90: 0.6, absErr: 0.25 })

const trace = (candidate: ScoredForecaster, current: ScoredForecaster = scored(), name = 'a.csv'): TraceBacktest => ({
  trace: name,
  weeks: N,
  baseline: WORSE_BASELINE,
  current,
  candidate
})

const changeOf = (t: TraceBacktest, metric: string) => compareModels([t]).rows.find(r => r.metric === metric)

describe('compareModels', () => {
  test('consistently better on every metric: verdict better, each metric on each trace listed, nothing worse', () => {
    const better = scored({ hourErr: 1, hitRate: 1, rateErr: 0.07, p90: 0.9, absErr: 0.09 })
    const c = compareModels([trace(better, scored(), 'a.csv'), trace(better, scored(), 'b.csv')])
    expect(c.verdict).toBe('better')
    expect(c.better).toHaveLength(2 * METRICS.length)
    expect(c.worse).toEqual([])
    expect(c.notBeatingBaseline).toEqual([])
    expect(c.better).toContain('WAPE (%) on b.csv')
    const wape = c.rows.find(r => r.metric === 'wape' && r.trace === 'a.csv')
    // the same wobble in both models: the paired difference is exactly 3 points every week
    expect(wape?.vsCurrentDifference.delta).toBeCloseTo(-3, 9)
    expect(wape?.vsCurrentDifference.lo).toBeCloseTo(-3, 9)
    expect(wape?.vsCurrentDifference.hi).toBeCloseTo(-3, 9)
  })

  test('P90 coverage is judged by the distance from 90 %, not by more is better', () => {
    // 97 % covers more but is 7 points off; 91 % is 1 point off
    expect(changeOf(trace(scored({ p90: 0.91 }), scored({ p90: 0.97 })), 'p90Coverage')?.vsCurrent).toBe('better')
    // and 85 % (5 off) is worse than 93 % (3 off), though it is the narrower band
    expect(changeOf(trace(scored({ p90: 0.85 }), scored({ p90: 0.93 })), 'p90Coverage')?.vsCurrent).toBe('worse')
  })

  test('one lucky week is within noise, though it moves the mean', () => {
    const current = scored()
    const weeks = current.weekScores.map((w, i) => (i === 11 ? { ...w, peakRateError: 0 } : w))
    const lucky = { metrics: summarize(weeks), weekScores: weeks }
    const row = changeOf(trace(lucky, current), 'peakRateMape')
    expect(lucky.metrics.peakRateMape).toBeLessThan(current.metrics.peakRateMape)
    expect(row?.vsCurrentDifference.delta).toBeLessThan(0)
    expect(row?.vsCurrent).toBe('same')
    expect(row?.vsCurrentDifference.hi).toBeGreaterThanOrEqual(0)
  })

  test('better on one trace and worse on another is mixed, and the recommendation names both', () => {
    const c = compareModels([trace(scored({ rateErr: 0.05 }), scored(), 'a.csv'), trace(scored({ hourErr: 2 }), scored(), 'b.csv')])
    expect(c.verdict).toBe('mixed')
    expect(c.better).toEqual(['peak-rate MAPE (%) on a.csv'])
    expect(c.worse).toEqual(['peak-hour MAE (h) on b.csv'])
    const text = recommendation(c)
    expect(text).toMatch(/^\*\*Review before merging\*\*/)
    expect(text).toContain('peak-rate MAPE (%) on a.csv')
    expect(text).toContain('peak-hour MAE (h) on b.csv')
  })

  test('a candidate that loses to the baseline is called out', () => {
    const c = compareModels([trace(scored({ absErr: 0.3 }), scored({ absErr: 0.31 }))])
    expect(c.verdict).toBe('better')
    expect(c.notBeatingBaseline).toEqual(['WAPE (%) on a.csv'])
    expect(recommendation(c)).toContain('not significantly better than the seasonal baseline on: WAPE (%) on a.csv')
  })

  test('a trace without weeks never counts as better or worse', () => {
    const empty = { metrics: summarize([]), weekScores: [] }
    const c = compareModels([{ trace: 'e.csv', weeks: 0, baseline: empty, current: empty, candidate: empty }])
    expect(c.verdict).toBe('same')
    expect(c.rows.every(r => r.vsCurrent === 'same' && Number.isNaN(r.vsCurrentDifference.lo))).toBe(true)
  })

  const arbWeeks = fc
    .array(
      fc.record({
        hourErr: fc.double({ min: 0, max: 12, noNaN: true }),
        hit: fc.boolean(),
        rateErr: fc.double({ min: 0, max: 1, noNaN: true }),
        p90: fc.double({ min: 0, max: 1, noNaN: true }),
        absErr: fc.double({ min: 0, max: 1, noNaN: true })
      }),
      { minLength: 6, maxLength: 6 }
    )
    .map(ws => {
      const weeks = ws.map(week)
      return { metrics: summarize(weeks), weekScores: weeks }
    })

  test('swapping candidate and model in use swaps better and worse (property)', () => {
    fc.assert(
      fc.property(arbWeeks, arbWeeks, (a, b) => {
        const ab = compareModels([{ trace: 't', weeks: 6, baseline: a, current: b, candidate: a }])
        const ba = compareModels([{ trace: 't', weeks: 6, baseline: a, current: a, candidate: b }])
        expect(ab.better).toEqual(ba.worse)
        expect(ab.worse).toEqual(ba.better)
        const flipped = { better: 'worse', worse: 'better', mixed: 'mixed', same: 'same' } as const
        expect(ba.verdict).toBe(flipped[ab.verdict])
      }),
      { numRuns: 30 }
    )
  })

  test('a candidate equal to the model in use is the same everywhere (property)', () => {
    fc.assert(
      fc.property(arbWeeks, a => {
        const c = compareModels([{ trace: 't', weeks: 6, baseline: a, current: a, candidate: { ...a } }])
        expect(c.verdict).toBe('same')
      }),
      { numRuns: 30 }
    )
  })
})

describe('comparisonTables', () => {
  test('one row per metric with the printed values of all three forecasters and the differences', () => {
    const t = trace(scored({ hourErr: 0.9, p90: 0.9123 }))
    const md = comparisonTables([t], compareModels([t]), { current: 'xgb-peak@sha256:aaa', candidate: 'xgb-peak@sha256:bbb' })
    const rows = md.split('\n').filter(l => l.startsWith('| ') && !l.startsWith('| metric'))
    expect(rows).toHaveLength(METRICS.length)
    expect(md).toContain('#### a.csv (20 weekly origins)')
    expect(md).toContain('in use: `xgb-peak@sha256:aaa`')
    expect(md).toContain('circular-block bootstrap')
    const hours = (f: ScoredForecaster) => f.metrics.peakHourMaeH.toFixed(2)
    expect(rows[0]).toBe(
      `| peak-hour MAE (h) | ${hours(WORSE_BASELINE)} | ${hours(t.current)} | ${hours(t.candidate)} | ` +
        '✅ better (−0.60, 99 % CI −0.60 to −0.60) | ✅ better (−2.10, 99 % CI −2.10 to −2.10) |'
    )
    // 0.9123 × 168 = 153.3 → 153 hours covered = 91.1 %
    expect(rows[3]).toContain('| 60.1 | 85.1 | 91.1 |')
  })

  test('differenceCell prints signs, the interval, and no minus zero', () => {
    expect(differenceCell({ delta: 0.5, lo: 0.1, hi: 0.9, change: 'worse' }, 1)).toBe('❌ worse (+0.5, 99 % CI +0.1 to +0.9)')
    expect(differenceCell({ delta: -0.004, lo: -0.2, hi: 0.3, change: 'same' }, 2)).toBe('≈ within noise (0.00, 99 % CI −0.20 to +0.30)')
    expect(differenceCell({ delta: NaN, lo: NaN, hi: NaN, change: 'same' }, 2)).toBe('≈ within noise')
  })
})
