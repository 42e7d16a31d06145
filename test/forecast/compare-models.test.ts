import { describe, expect, test } from '@jest/globals'
import fc from 'fast-check'
import type { BacktestMetrics } from '../../src/forecast/backtest.js'
import { compareModels, comparisonTables, METRICS, recommendation, type TraceBacktest } from '../../src/forecast/compare-models.js'

const metrics = (m: Partial<BacktestMetrics> = {}): BacktestMetrics => ({
  peakHourMaeH: 1.5,
  peakDayAccuracy: 0.8,
  peakRateMape: 10,
  p90Coverage: 0.85,
  bandCoverage: 0.75,
  wape: 12,
  weeks: 10,
  ...m
})

const trace = (candidate: Partial<BacktestMetrics>, current: Partial<BacktestMetrics> = {}, name = 'a.csv'): TraceBacktest => ({
  trace: name,
  weeks: 10,
  baseline: metrics({ peakHourMaeH: 3, peakDayAccuracy: 0.5, peakRateMape: 20, p90Coverage: 0.6, wape: 25 }),
  current: metrics(current),
  candidate: metrics(candidate)
})

describe('compareModels', () => {
  test('better on every metric: verdict better, each metric on each trace listed, nothing worse', () => {
    const better = { peakHourMaeH: 1, peakDayAccuracy: 0.9, peakRateMape: 7, p90Coverage: 0.9, wape: 9 }
    const c = compareModels([trace(better, {}, 'a.csv'), trace(better, {}, 'b.csv')])
    expect(c.verdict).toBe('better')
    expect(c.better).toHaveLength(2 * METRICS.length)
    expect(c.worse).toEqual([])
    expect(c.notBeatingBaseline).toEqual([])
    expect(c.better).toContain('WAPE (%) on b.csv')
  })

  test('P90 coverage is judged by the distance from 90 %, not by more is better', () => {
    // 97 % covers more but is 7 points off; 91 % is 1 point off
    const c = compareModels([trace({ p90Coverage: 0.91 }, { p90Coverage: 0.97 })])
    expect(c.rows.find(r => r.metric === 'p90Coverage')?.vsCurrent).toBe('better')
    const even = compareModels([trace({ p90Coverage: 0.88 }, { p90Coverage: 0.92 })])
    expect(even.rows.find(r => r.metric === 'p90Coverage')?.vsCurrent).toBe('same')
    expect(even.verdict).toBe('same')
  })

  test('differences below the printed precision are not improvements', () => {
    const c = compareModels([trace({ peakHourMaeH: 1.501, wape: 11.96 }, { peakHourMaeH: 1.5, wape: 12.04 })])
    expect(c.verdict).toBe('same')
    expect(c.rows.every(r => r.vsCurrent === 'same')).toBe(true)
  })

  test('better on one trace and worse on another is mixed, and the recommendation names both', () => {
    const c = compareModels([trace({ peakRateMape: 5 }, {}, 'a.csv'), trace({ peakDayAccuracy: 0.6 }, {}, 'b.csv')])
    expect(c.verdict).toBe('mixed')
    expect(c.better).toEqual(['peak-rate MAPE (%) on a.csv'])
    expect(c.worse).toEqual(['peak-day accuracy (%) on b.csv'])
    const text = recommendation(c)
    expect(text).toMatch(/^\*\*Review before merging\*\*/)
    expect(text).toContain('peak-rate MAPE (%) on a.csv')
    expect(text).toContain('peak-day accuracy (%) on b.csv')
  })

  test('a candidate that loses to the baseline is called out', () => {
    const c = compareModels([trace({ wape: 30 }, { wape: 31 })])
    expect(c.verdict).toBe('better')
    expect(c.notBeatingBaseline).toEqual(['WAPE (%) on a.csv'])
    expect(recommendation(c)).toContain('does not beat the seasonal baseline on: WAPE (%) on a.csv')
  })

  test('a metric without weeks (NaN) never counts as better or worse', () => {
    const c = compareModels([trace({ peakHourMaeH: NaN }, {})])
    expect(c.rows.find(r => r.metric === 'peakHourMaeH')?.vsCurrent).toBe('same')
  })

  const arbMetrics = fc.record({
    peakHourMaeH: fc.double({ min: 0, max: 12, noNaN: true }),
    peakDayAccuracy: fc.double({ min: 0, max: 1, noNaN: true }),
    peakRateMape: fc.double({ min: 0, max: 100, noNaN: true }),
    p90Coverage: fc.double({ min: 0, max: 1, noNaN: true }),
    bandCoverage: fc.constant(0.8),
    wape: fc.double({ min: 0, max: 100, noNaN: true }),
    weeks: fc.constant(5)
  })

  test('swapping candidate and model in use swaps better and worse (property)', () => {
    fc.assert(
      fc.property(arbMetrics, arbMetrics, (a, b) => {
        const base = metrics()
        const ab = compareModels([{ trace: 't', weeks: 5, baseline: base, current: b, candidate: a }])
        const ba = compareModels([{ trace: 't', weeks: 5, baseline: base, current: a, candidate: b }])
        expect(ab.better).toEqual(ba.worse)
        expect(ab.worse).toEqual(ba.better)
        const flipped = { better: 'worse', worse: 'better', mixed: 'mixed', same: 'same' } as const
        expect(ba.verdict).toBe(flipped[ab.verdict])
      })
    )
  })

  test('a candidate equal to the model in use is the same everywhere (property)', () => {
    fc.assert(
      fc.property(arbMetrics, a => {
        const c = compareModels([{ trace: 't', weeks: 5, baseline: metrics(), current: a, candidate: { ...a } }])
        expect(c.verdict).toBe('same')
      })
    )
  })
})

describe('comparisonTables', () => {
  test('one row per metric with the printed values of all three forecasters', () => {
    const t = trace({ peakHourMaeH: 0.875, p90Coverage: 0.9123 })
    const md = comparisonTables([t], compareModels([t]), { current: 'xgb-peak@sha256:aaa', candidate: 'xgb-peak@sha256:bbb' })
    const rows = md.split('\n').filter(l => l.startsWith('| ') && !l.startsWith('| metric'))
    expect(rows).toHaveLength(METRICS.length)
    expect(md).toContain('#### a.csv (10 weekly origins)')
    expect(md).toContain('in use: `xgb-peak@sha256:aaa`')
    // 0.875 h prints as 0.88 (toFixed), the current 1.5 as 1.50, the baseline 3 as 3.00
    expect(rows[0]).toBe('| peak-hour MAE (h) | 3.00 | 1.50 | 0.88 | ✅ better | ✅ better |')
    expect(rows[3]).toContain('| 60.0 | 85.0 | 91.2 |')
  })
})
