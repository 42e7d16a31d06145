import fc from 'fast-check'
import { normalize } from '../../src/telemetry/normalize.js'
import { HOUR_MS, type RawPoint } from '../../src/telemetry/series.js'
import { PeakcastError } from '../../src/util/errors.js'

const DAY = 24 * HOUR_MS
const START = Date.UTC(2026, 0, 5) // a Monday
const opts = { service: 'svc', source: 'test.csv' }

/** A deterministic hourly total with daily shape, `days` long. */
function hourly(days: number, value = (i: number) => 100 + ((i * 37) % 50)): RawPoint[] {
  return Array.from({ length: days * 24 }, (_, i) => ({ t: START + i * HOUR_MS, requests: value(i), line: i + 2 }))
}

function expectPeakcastError(fn: () => unknown, ...fragments: string[]): PeakcastError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(PeakcastError)
  for (const f of fragments) expect((caught as Error).message).toContain(f)
  return caught as PeakcastError
}

describe('normalize: shape', () => {
  test('a clean total-only series passes unchanged, aligned, with no endpoints', () => {
    const pts = hourly(15)
    const { series, report } = normalize(pts, opts)
    expect(series.start).toBe(START)
    expect(series.stepMs).toBe(HOUR_MS)
    expect(series.total.requests).toEqual(pts.map(p => p.requests))
    expect(series.endpoints).toEqual({})
    expect(series.total.latencyMs).toBeUndefined()
    expect(report).toEqual({ source: 'test.csv', rows: pts.length, gapsFilled: 0, duplicatesMerged: 0, outOfOrder: 0, dropped: [], notes: [] })
  })

  test('timestamps inside an hour land in that hour’s UTC bucket; the series starts on the boundary', () => {
    const pts = hourly(15).map(p => ({ ...p, t: p.t + 17 * 60_000 }))
    const { series } = normalize(pts, opts)
    expect(series.start).toBe(START)
    expect(series.total.requests).toEqual(pts.map(p => p.requests))
  })

  test('endpoint series: keys sorted, total is the sum, latency request-weighted, p95 the max', () => {
    const base = hourly(15)
    const pts: RawPoint[] = []
    for (const p of base) {
      pts.push({ t: p.t, endpoint: 'POST /cart', requests: p.requests, latencyMs: 200, p95Ms: 400, errors: 1 })
      pts.push({ t: p.t, endpoint: 'GET /a', requests: 3 * p.requests, latencyMs: 100, p95Ms: 150, errors: 2 })
    }
    const { series } = normalize(pts, opts)
    expect(Object.keys(series.endpoints)).toEqual(['GET /a', 'POST /cart'])
    base.forEach((p, i) => {
      expect(series.total.requests[i]).toBe(4 * p.requests)
      expect(series.total.latencyMs![i]).toBeCloseTo((3 * 100 + 1 * 200) / 4, 9)
      expect(series.total.p95Ms![i]).toBe(400)
      expect(series.total.errors![i]).toBe(3)
      expect(series.endpoints['GET /a'].requests[i]).toBe(3 * p.requests)
    })
  })

  test('an endpoint absent from a bucket that has data counts zero requests, latency unknown', () => {
    const pts: RawPoint[] = hourly(15).map(p => ({ ...p, endpoint: 'GET /a', latencyMs: 50 }))
    pts.push({ t: START + 5 * HOUR_MS, endpoint: 'GET /rare', requests: 2, latencyMs: 500 })
    const { series, report } = normalize(pts, opts)
    expect(report.gapsFilled).toBe(0)
    expect(series.endpoints['GET /rare'].requests[4]).toBe(0)
    expect(series.endpoints['GET /rare'].latencyMs![4]).toBeNull()
    expect(series.endpoints['GET /rare'].requests[5]).toBe(2)
    expect(series.total.latencyMs![5]).toBeCloseTo((pts[5].requests * 50 + 2 * 500) / (pts[5].requests + 2), 9)
  })
})

describe('normalize: repair rules', () => {
  test('several points in one bucket with different timestamps are aggregated', () => {
    const pts = hourly(15)
    const i = 30
    pts.splice(i, 1, { t: START + i * HOUR_MS, requests: 10, latencyMs: 100, p95Ms: 180, errors: 1 }, {
      t: START + i * HOUR_MS + 30 * 60_000,
      requests: 30,
      latencyMs: 200,
      p95Ms: 250,
      errors: 2
    })
    const { series, report } = normalize(pts, opts)
    expect(series.total.requests[i]).toBe(40)
    expect(series.total.latencyMs![i]).toBeCloseTo(175, 9)
    expect(series.total.p95Ms![i]).toBe(250)
    expect(series.total.errors![i]).toBe(3)
    expect(report.duplicatesMerged).toBe(0)
    expect(series.total.requests).toHaveLength(15 * 24)
  })

  test('same timestamp and endpoint twice is a duplicate: the last row wins and it is counted', () => {
    const pts = hourly(15).map(p => ({ ...p, endpoint: 'GET /a' }))
    pts.push({ t: START + 40 * HOUR_MS, endpoint: 'GET /a', requests: 999, line: 9999 })
    pts.push({ t: START + 41 * HOUR_MS, endpoint: 'GET /b', requests: 5 })
    const { series, report } = normalize(pts, opts)
    expect(report.duplicatesMerged).toBe(1)
    expect(series.endpoints['GET /a'].requests[40]).toBe(999)
    expect(series.endpoints['GET /b'].requests[41]).toBe(5)
  })

  test('out-of-order rows are sorted and counted', () => {
    const sorted = hourly(15)
    const shuffled = [...sorted]
    // swap three disjoint pairs: each swap is one row arriving earlier than its predecessor
    for (const i of [10, 100, 200]) [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1], shuffled[i]]
    const descents = shuffled.filter((p, i) => i > 0 && p.t < shuffled[i - 1].t).length
    const { series, report } = normalize(shuffled, opts)
    expect(report.outOfOrder).toBe(descents)
    expect(descents).toBe(3)
    expect(series).toEqual(normalize(sorted, opts).series)
  })

  test('NaN, negative and infinite request counts are dropped and listed with line and reason', () => {
    const pts = hourly(15)
    pts[50] = { ...pts[50], requests: NaN }
    pts[51] = { ...pts[51], requests: -3 }
    pts[52] = { ...pts[52], requests: Infinity }
    const { series, report } = normalize(pts, opts)
    expect(report.dropped).toEqual([
      { line: 52, reason: 'requests is not a number' },
      { line: 53, reason: 'requests is negative (-3)' },
      { line: 54, reason: 'requests is infinite' }
    ])
    expect(report.gapsFilled).toBe(3)
    expect(series.total.requests.every(Number.isFinite)).toBe(true)
  })

  test('an unusable latency is ignored (the row’s requests kept) and noted', () => {
    const pts = hourly(15).map(p => ({ ...p, latencyMs: 80 }))
    pts[7] = { ...pts[7], latencyMs: -1 }
    const { series, report } = normalize(pts, opts)
    expect(report.dropped).toEqual([])
    expect(series.total.requests[7]).toBe(pts[7].requests)
    expect(series.total.latencyMs![7]).toBeNull()
    expect(report.notes.join('\n')).toContain('latency_ms')
    expect(report.notes.join('\n')).toContain('line(s) 9')
  })

  test('a gap takes the same hour one week earlier when that hour has data', () => {
    const full = hourly(15)
    const pts = full.filter((_, i) => i !== 200 && i !== 201)
    const { series, report } = normalize(pts, opts)
    expect(report.gapsFilled).toBe(2)
    expect(series.total.requests[200]).toBe(full[200 - 168].requests)
    expect(series.total.requests[201]).toBe(full[201 - 168].requests)
  })

  test('a gap in the first week is interpolated linearly between its neighbours', () => {
    const full = hourly(15)
    const pts = full.filter((_, i) => i < 20 || i > 22)
    const { series, report } = normalize(pts, opts)
    expect(report.gapsFilled).toBe(3)
    const a = full[19].requests
    const b = full[23].requests
    for (const [k, i] of [20, 21, 22].entries()) expect(series.total.requests[i]).toBeCloseTo(a + ((b - a) * (k + 1)) / 4, 9)
    expect(report.notes).toEqual([])
  })

  test('a gap longer than 24 h is filled and gets a note', () => {
    const full = hourly(22)
    const pts = full.filter((_, i) => i < 200 || i >= 230)
    const { series, report } = normalize(pts, opts)
    expect(report.gapsFilled).toBe(30)
    expect(series.total.requests.slice(200, 230)).toEqual(full.slice(200 - 168, 230 - 168).map(p => p.requests))
    expect(report.notes).toHaveLength(1)
    expect(report.notes[0]).toContain('30 hours')
    expect(report.notes[0]).toContain(new Date(START + 200 * HOUR_MS).toISOString().slice(0, 13))
  })

  test('gaps are filled per endpoint, and the total stays the sum', () => {
    const pts: RawPoint[] = []
    hourly(15).forEach((p, i) => {
      if (i === 180) return
      pts.push({ t: p.t, endpoint: 'A', requests: p.requests })
      pts.push({ t: p.t, endpoint: 'B', requests: 2 * p.requests })
    })
    const { series } = normalize(pts, opts)
    expect(series.endpoints.A.requests[180]).toBe(series.endpoints.A.requests[12])
    expect(series.endpoints.B.requests[180]).toBe(series.endpoints.B.requests[12])
    expect(series.total.requests[180]).toBe(series.endpoints.A.requests[180] + series.endpoints.B.requests[180])
  })
})

describe('normalize: errors', () => {
  test('no points is "no data"', () => {
    expectPeakcastError(() => normalize([], opts), 'no data', 'test.csv')
  })

  test('only unusable points is "no data" too', () => {
    expectPeakcastError(() => normalize([{ t: START, requests: NaN }], opts), 'no data')
  })

  test('less than two weeks says how long it is and what is needed', () => {
    expectPeakcastError(() => normalize(hourly(3.5), opts), '3.5 days', '2 weeks', 'test.csv')
    expect(() => normalize(hourly(14), opts)).not.toThrow()
    expect(() => normalize(hourly(3.5), { ...opts, minSpanMs: 3 * DAY })).not.toThrow()
  })

  test('rows with and without an endpoint cannot be mixed', () => {
    const pts: RawPoint[] = hourly(15)
    pts.push({ t: START, endpoint: 'GET /a', requests: 1, line: 77 })
    const err = expectPeakcastError(() => normalize(pts, opts), 'line 77')
    expect(err.place.field).toBe('endpoint')
  })

  test('timestamps in the wrong unit (a huge span) are refused instead of allocating years of buckets', () => {
    const pts = [...hourly(15), { t: START * 1000, requests: 1 }]
    expectPeakcastError(() => normalize(pts, opts), 'epoch seconds vs milliseconds')
  })
})

describe('normalize: properties', () => {
  const endpoints = ['GET /a', 'GET /b', 'POST /c']
  const point = fc.record({
    minute: fc.integer({ min: 0, max: 20 * 24 * 60 }),
    endpoint: fc.constantFrom(...endpoints),
    requests: fc.oneof(
      { weight: 20, arbitrary: fc.integer({ min: 0, max: 1000 }) },
      { weight: 1, arbitrary: fc.constantFrom(NaN, -1, Infinity) }
    ),
    latencyMs: fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined })
  })

  test('output is regular, sorted, total == sum of endpoints, and no request is lost or invented', () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 300 }), raw => {
        const pts: RawPoint[] = raw.map((r, i) => ({
          t: START + r.minute * 60_000,
          endpoint: r.endpoint,
          requests: r.requests,
          latencyMs: r.latencyMs,
          line: i + 1
        }))
        const valid = pts.filter(p => Number.isFinite(p.requests) && p.requests >= 0)
        if (valid.length === 0) {
          expect(() => normalize(pts, { ...opts, minSpanMs: 0 })).toThrow(PeakcastError)
          return
        }
        const { series, report } = normalize(pts, { ...opts, minSpanMs: 0 })
        const n = series.total.requests.length
        expect(series.start % HOUR_MS).toBe(0)
        expect(series.start).toBe(Math.floor(Math.min(...valid.map(p => p.t)) / HOUR_MS) * HOUR_MS)
        expect(series.start + (n - 1) * HOUR_MS).toBe(Math.floor(Math.max(...valid.map(p => p.t)) / HOUR_MS) * HOUR_MS)
        const keys = Object.keys(series.endpoints)
        expect(keys).toEqual([...new Set(valid.map(p => p.endpoint!))].sort())
        for (const k of keys) expect(series.endpoints[k].requests).toHaveLength(n)
        let worst = 0
        for (let i = 0; i < n; i++) {
          const sum = keys.reduce((acc, k) => acc + series.endpoints[k].requests[i], 0)
          worst = Math.max(worst, Math.abs(series.total.requests[i] - sum))
        }
        expect(worst).toBeLessThan(1e-6)
        expect(series.total.requests.every(r => Number.isFinite(r) && r >= 0)).toBe(true)
        expect(report.rows).toBe(pts.length)
        expect(report.dropped).toHaveLength(pts.length - valid.length)
        // duplicates (same minute + endpoint) keep the last row; independent of normalize's bookkeeping
        const lastByKey = new Map(valid.map(p => [`${p.t}|${p.endpoint}`, p.requests]))
        expect(report.duplicatesMerged).toBe(valid.length - lastByKey.size)
        if (report.gapsFilled === 0) {
          const expected = [...lastByKey.values()].reduce((a, b) => a + b, 0)
          expect(series.total.requests.reduce((a, b) => a + b, 0)).toBeCloseTo(expected, 6)
        }
      }),
      { numRuns: 200 }
    )
  })
})
