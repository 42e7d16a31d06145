import {
  backtest,
  circularHourDistance,
  peakDayHindsight,
  scoreWeek,
  summarize,
  weeklyOrigins,
  type WeekScore
} from '../../src/forecast/backtest.js'
import { SeasonalBaseline } from '../../src/forecast/baseline.js'
import type { Forecaster, ForecastInput } from '../../src/forecast/forecaster.js'
import { PeakcastError } from '../../src/util/errors.js'
import { HOUR, MONDAY, loadHourly, periodic } from '../helpers/traffic.js'

const WEEK = 168 * HOUR

describe('circularHourDistance', () => {
  it('measures around the 24-hour dial', () => {
    expect(circularHourDistance(23, 1)).toBe(2)
    expect(circularHourDistance(1, 23)).toBe(2)
    expect(circularHourDistance(0, 12)).toBe(12)
    expect(circularHourDistance(14, 9)).toBe(5)
    expect(circularHourDistance(5, 5)).toBe(0)
  })
})

describe('scoreWeek and summarize', () => {
  // two days from Monday 00:00Z; every hour 10 except the peaks below
  const p50 = new Array<number>(48).fill(10)
  p50[23] = 50 // predicted peak of day 1: 23:00
  p50[34] = 40 // predicted peak of day 2: 10:00
  const actual = new Array<number>(48).fill(10)
  actual[1] = 30 // actual peak of day 1: 01:00
  actual[38] = 60 // actual peak of day 2: 14:00, the week's peak
  const f = { start: MONDAY, p10: p50.map(v => v - 5), p50, p90: p50.map(v => v + 15) }

  const byHand: WeekScore = {
    dayPeakHourErrors: [2, 4], // 23 vs 1, 10 vs 14
    peakDayHit: false, // predicted Monday, actual Tuesday
    actualPeakWeekday: 2,
    peakRateError: 10 / 60, // |50 − 60| / 60
    hours: 48,
    p90Hits: 46, // misses: hour 1 (30 > 25) and hour 38 (60 > 25)
    bandHits: 44, // also below P10 at hours 23 (10 < 45) and 34 (10 < 35)
    absError: 20 + 40 + 30 + 50,
    actualSum: 46 * 10 + 30 + 60
  }

  it('scores one week against values worked out by hand', () => {
    const s = scoreWeek(f, actual)
    expect(s).toEqual({ ...byHand, peakRateError: expect.closeTo(byHand.peakRateError, 12) })
  })

  it('averages days, weeks and hours as documented', () => {
    const perfect: WeekScore = {
      dayPeakHourErrors: [0, 0],
      peakDayHit: true,
      actualPeakWeekday: 2,
      peakRateError: 0,
      hours: 48,
      p90Hits: 48,
      bandHits: 48,
      absError: 0,
      actualSum: 550
    }
    expect(scoreWeek({ start: MONDAY, p10: actual, p50: actual, p90: actual }, actual)).toEqual(perfect)
    const m = summarize([byHand, perfect])
    expect(m.peakHourMaeH).toBeCloseTo((2 + 4 + 0 + 0) / 4, 12)
    expect(m.peakDayAccuracy).toBe(0.5)
    expect(m.peakRateMape).toBeCloseTo((100 * (1 / 6)) / 2, 12)
    expect(m.p90Coverage).toBeCloseTo(94 / 96, 12)
    expect(m.bandCoverage).toBeCloseTo(92 / 96, 12)
    expect(m.wape).toBeCloseTo((100 * 140) / 1100, 12)
    expect(m.weeks).toBe(2)
  })

  it('peakDayHindsight is the share of weeks on the most frequent actual peak weekday', () => {
    const on = (actualPeakWeekday: number): WeekScore => ({ ...byHand, actualPeakWeekday })
    expect(peakDayHindsight([on(5), on(5), on(1), on(5), on(2)])).toBeCloseTo(3 / 5, 12)
    expect(peakDayHindsight([on(0)])).toBe(1)
    expect(peakDayHindsight([])).toBeNaN()
  })
})

describe('weeklyOrigins', () => {
  it('starts on the first Monday after the warm-up and stops when the horizon runs out', () => {
    const start = MONDAY + 2 * 24 * HOUR + 5 * HOUR // a Wednesday 05:00Z
    const origins = weeklyOrigins(start, 5 * 168, 1, 168)
    expect(origins).toEqual([MONDAY + 2 * WEEK, MONDAY + 3 * WEEK, MONDAY + 4 * WEEK])
    expect(origins.every(o => new Date(o).getUTCDay() === 1 && o % (24 * HOUR) === 0)).toBe(true)
  })
})

describe('backtest', () => {
  it('gives an oracle perfect scores and never shows a forecaster the future', async () => {
    const values = periodic(14, 0.1, 5)
    const seen: ForecastInput[] = []
    const oracle: Forecaster = {
      id: 'oracle',
      async forecast(input) {
        seen.push(input)
        const at = (input.origin - MONDAY) / HOUR
        const future = values.slice(at, at + input.horizon)
        return { start: input.origin, stepMs: HOUR, p10: future, p50: future, p90: future, model: 'oracle@1' }
      }
    }
    const r = await backtest(values, MONDAY, [oracle], { warmupWeeks: 8, historyWeeks: 10 })
    expect(r.origins).toEqual([8, 9, 10, 11, 12, 13].map(w => MONDAY + w * WEEK))
    expect(r.forecasters[0]).toMatchObject({
      id: 'oracle',
      model: 'oracle@1',
      metrics: { peakHourMaeH: 0, peakDayAccuracy: 1, peakRateMape: 0, p90Coverage: 1, bandCoverage: 1, wape: 0, weeks: 6 }
    })
    expect(r.forecasters[0].predictions).toHaveLength(6 * 168)
    expect(r.forecasters[0].weekScores).toHaveLength(6)
    expect(r.forecasters[0].weekScores.every(w => w.peakDayHit)).toBe(true)
    expect(r.peakDayHindsight).toBe(peakDayHindsight(r.forecasters[0].weekScores))
    expect(r.forecasters[0].predictions[168]).toEqual({
      origin: MONDAY + 9 * WEEK,
      timestamp: MONDAY + 9 * WEEK,
      p10: values[9 * 168],
      p50: values[9 * 168],
      p90: values[9 * 168]
    })
    for (const input of seen) {
      const at = (input.origin - MONDAY) / HOUR
      const expected = values.slice(Math.max(0, at - 10 * 168), at)
      expect(input.history).toEqual(expected)
      expect(input.excluded).toHaveLength(expected.length)
      expect(input.horizon).toBe(168)
    }
  })

  it('refuses data too short for one origin, and a forecaster that answers short', async () => {
    await expect(backtest(periodic(3), MONDAY, [new SeasonalBaseline()])).rejects.toThrow(PeakcastError)
    const short: Forecaster = {
      id: 'short',
      forecast: async input => ({ start: input.origin, stepMs: HOUR, p10: [1], p50: [1], p90: [1], model: 'short' })
    }
    await expect(backtest(periodic(10), MONDAY, [short])).rejects.toThrow(/fewer than 168/)
  })

  it.each([
    ['app-server-traffic-vsaveris/traffic_stats_HOURLY_CHs.csv', 'Europe/Berlin', 200],
    ['nab/realKnownCause/nyc_taxi.csv', undefined, 15]
  ])('runs the seasonal baseline over real traffic (%s)', async (file, timezone, minWeeks) => {
    const { start, values } = await loadHourly(file, timezone)
    const r = await backtest(values, start, [new SeasonalBaseline(), new SeasonalBaseline({ levelAdjust: true })])
    for (const f of r.forecasters) {
      const m = f.metrics
      console.log(`${file} ${f.id}: ${JSON.stringify(m)}`)
      expect(m.weeks).toBeGreaterThanOrEqual(minWeeks)
      expect(f.predictions).toHaveLength(m.weeks * 168)
      for (const v of Object.values(m)) expect(Number.isFinite(v)).toBe(true)
      // loose sanity bounds: a seasonal mean on strongly weekly traffic
      expect(m.peakHourMaeH).toBeLessThan(2.5)
      expect(m.peakRateMape).toBeLessThan(20)
      expect(m.p90Coverage).toBeGreaterThan(0.75)
      expect(m.p90Coverage).toBeLessThan(0.97)
    }
  })
})
