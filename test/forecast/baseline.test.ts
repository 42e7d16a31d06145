import { SeasonalBaseline } from '../../src/forecast/baseline.js'
import { PeakcastError } from '../../src/util/errors.js'
import { HOUR, MONDAY, periodic, rng, weekShape } from '../helpers/traffic.js'

/** origin right after `history`, which starts on MONDAY */
const originAfter = (history: number[]) => MONDAY + history.length * HOUR

describe('SeasonalBaseline', () => {
  it('predicts a perfectly periodic series exactly, with a zero-width band', async () => {
    const history = periodic(10)
    for (const levelAdjust of [false, true]) {
      const f = await new SeasonalBaseline({ levelAdjust }).forecast({ history, origin: originAfter(history), horizon: 336 })
      expect(f.start).toBe(originAfter(history))
      expect(f.stepMs).toBe(HOUR)
      expect(f.p50).toHaveLength(336)
      f.p50.forEach((v, h) => expect(v).toBeCloseTo(weekShape(h % 168), 9))
      expect(f.p10).toEqual(f.p50)
      expect(f.p90).toEqual(f.p50)
    }
  })

  it('is the mean of the same hour of week over the last 4 weeks', async () => {
    const next = rng(7)
    const history = Array.from({ length: 6 * 168 + 5 }, () => 100 + 1000 * next())
    const n = history.length
    const f = await new SeasonalBaseline().forecast({ history, origin: MONDAY, horizon: 200 })
    for (const h of [0, 17, 100, 167, 168, 199]) {
      const back = Math.floor(h / 168) + 1
      const same = [0, 1, 2, 3].map(k => history[n + h - (back + k) * 168])
      expect(f.p50[h]).toBeCloseTo(same.reduce((a, b) => a + b, 0) / 4, 9)
    }
    expect(f.model).toBe('seasonal-naive')
  })

  it('skips excluded hours and reaches one week further back instead', async () => {
    const history = periodic(6)
    const n = history.length
    const excluded = history.map(() => false)
    // an outage at Tuesday 14:00 two weeks ago
    const hit = n - 2 * 168 + 24 + 14
    history[hit] = 0
    const clean = await new SeasonalBaseline().forecast({ history, origin: MONDAY, horizon: 168, excluded: excluded.map((_, i) => i === hit) })
    expect(clean.p50[38]).toBeCloseTo(weekShape(38), 9)
    const dirty = await new SeasonalBaseline().forecast({ history, origin: MONDAY, horizon: 168, excluded })
    expect(dirty.p50[38]).toBeCloseTo((3 * weekShape(38)) / 4, 9)
  })

  it('scales to last week when level-adjusted, within the clamp', async () => {
    const base = periodic(6)
    const n = base.length
    const grown = base.map((v, i) => (i >= n - 168 ? 1.2 * v : v))
    // K-week mean = (3 + 1.2)/4 = 1.05 × shape; last week / that = 1.2/1.05; product = 1.2 × shape
    const f = await new SeasonalBaseline({ levelAdjust: true }).forecast({ history: grown, origin: MONDAY, horizon: 168 })
    f.p50.forEach((v, h) => expect(v).toBeCloseTo(1.2 * weekShape(h), 6))
    const plain = await new SeasonalBaseline().forecast({ history: grown, origin: MONDAY, horizon: 168 })
    plain.p50.forEach((v, h) => expect(v).toBeCloseTo(1.05 * weekShape(h), 6))

    // ×5 last week: K-week mean 2 × shape, ratio 2.5 clamped to 2 → 4 × shape
    const jump = base.map((v, i) => (i >= n - 168 ? 5 * v : v))
    const clamped = await new SeasonalBaseline({ levelAdjust: true }).forecast({ history: jump, origin: MONDAY, horizon: 24 })
    clamped.p50.forEach((v, h) => expect(v).toBeCloseTo(4 * weekShape(h), 6))
  })

  it('gives a P10–P90 band that holds about 80 % of future hours of a noisy periodic series', async () => {
    const noisy = periodic(60, 0.15, 42)
    let inside = 0
    let belowP90 = 0
    let total = 0
    for (let week = 30; week < 60; week++) {
      const history = noisy.slice(0, week * 168)
      const f = await new SeasonalBaseline().forecast({ history, origin: MONDAY + week * 168 * HOUR, horizon: 168 })
      for (let h = 0; h < 168; h++) {
        const actual = noisy[week * 168 + h]
        if (actual >= f.p10[h] && actual <= f.p90[h]) inside++
        if (actual <= f.p90[h]) belowP90++
        total++
        expect(f.p10[h]).toBeLessThanOrEqual(f.p50[h])
        expect(f.p50[h]).toBeLessThanOrEqual(f.p90[h])
      }
    }
    expect(inside / total).toBeGreaterThan(0.74)
    expect(inside / total).toBeLessThan(0.86)
    expect(belowP90 / total).toBeGreaterThan(0.86)
    expect(belowP90 / total).toBeLessThan(0.94)
  })

  it('is deterministic', async () => {
    const history = periodic(20, 0.2, 3)
    const a = await new SeasonalBaseline({ levelAdjust: true }).forecast({ history, origin: MONDAY, horizon: 168 })
    const b = await new SeasonalBaseline({ levelAdjust: true }).forecast({ history: [...history], origin: MONDAY, horizon: 168 })
    expect(b).toEqual(a)
    expect(a.model).toBe('seasonal-naive-level')
  })

  it('rejects input it cannot forecast from, naming the field', async () => {
    const b = new SeasonalBaseline()
    await expect(b.forecast({ history: periodic(1).slice(1), origin: MONDAY, horizon: 24 })).rejects.toThrow(/history.*168 hours/)
    await expect(b.forecast({ history: periodic(2), origin: MONDAY, horizon: 0 })).rejects.toThrow(PeakcastError)
    await expect(b.forecast({ history: periodic(2), origin: MONDAY, horizon: 24, excluded: [true] })).rejects.toThrow(/excluded/)
    const h = periodic(2)
    await expect(b.forecast({ history: h, origin: MONDAY, horizon: 24, excluded: h.map(() => true) })).rejects.toThrow(/excluded/)
    expect(() => new SeasonalBaseline({ weeks: 0 })).toThrow(/weeks/)
  })
})
