import type { ServiceConfig } from '../../src/config/peakcast-config.js'
import type { Anomaly, Forecast, Peak } from '../../src/forecast/forecaster.js'
import { HOUR_MS, type Series } from '../../src/telemetry/series.js'
import { synthesizeWorkload } from '../../src/workload/synthesize.js'

const START = Date.UTC(2026, 9, 5) // a Monday
const HOURS = 21 * 24

/** Deterministic traffic: a daily wave per endpoint with different shapes, and p95 that grows with load. */
function makeSeries(): Series {
  const a: number[] = []
  const b: number[] = []
  const c: number[] = []
  const p95: (number | null)[] = []
  for (let i = 0; i < HOURS; i++) {
    const h = i % 24
    const wave = 1 + Math.sin(((h - 8) / 24) * 2 * Math.PI)
    a.push(Math.round(1000 * wave + 100))
    b.push(Math.round(300 * wave * wave + 50))
    c.push(20)
    p95.push(i % 7 === 0 ? null : 150 + 0.05 * a[i])
  }
  const total = a.map((x, i) => x + b[i] + c[i])
  // a spike that must not count as peak traffic
  const spike = HOURS - 30
  total[spike] += 50000
  a[spike] += 50000
  return {
    service: 'checkout-api',
    start: START,
    stepMs: HOUR_MS,
    total: { requests: total, p95Ms: p95 },
    endpoints: {
      'GET /a': { requests: a },
      'GET /b': { requests: b },
      'GET /unconfigured': { requests: c }
    }
  }
}

const service: ServiceConfig = {
  name: 'checkout-api',
  target: { baseUrl: 'https://shop.example.com' },
  telemetry: { type: 'file', path: 'x.csv' },
  endpoints: [
    { name: 'GET /b', method: 'GET', path: '/b' },
    { name: 'GET /a', method: 'GET', path: '/a/${__Random(1,9)}' },
    { name: 'POST /fixed', method: 'POST', path: '/fixed', body: '{}', weight: 0.1 }
  ],
  headroom: 1.15,
  duration: 1800,
  rampUp: 300,
  thinkTime: { meanMs: 250, stdDevMs: 40 },
  latencyMs: 200,
  historyWeeks: 3
}

const forecast: Forecast = { start: START + HOURS * HOUR_MS, stepMs: HOUR_MS, p10: [], p50: [], p90: [], model: 'seasonal-naive' }
const peak: Peak = { at: forecast.start + 50 * HOUR_MS, day: '2026-10-28', hour: '02:00Z', rps: { p10: 0.71234, p50: 0.8, p90: 0.96789 } }
const spikeAt = START + (HOURS - 30) * HOUR_MS
const anomalies: Anomaly[] = [{ from: spikeAt, to: spikeAt + HOUR_MS, kind: 'spike' }]
const window = { from: START, to: START + HOURS * HOUR_MS }

function input(overrides: Partial<Parameters<typeof synthesizeWorkload>[0]> = {}) {
  return { service, series: makeSeries(), forecast, peak, lastWeekPeakRps: 0.777, anomalies, window, ...overrides }
}

/** An independent reading of the rules: busiest 10 % of the last 14 days, spike hours left out. */
function expectedPeakHours(series: Series): number[] {
  const from = window.to - 14 * 24 * HOUR_MS
  const hours: { i: number; r: number }[] = []
  series.total.requests.forEach((r, i) => {
    const t = series.start + i * HOUR_MS
    if (t >= from && t < window.to && t !== spikeAt) hours.push({ i, r })
  })
  hours.sort((x, y) => y.r - x.r || x.i - y.i)
  return hours.slice(0, Math.ceil(hours.length / 10)).map(h => h.i)
}

describe('synthesizeWorkload', () => {
  const series = makeSeries()
  const { workload, notes } = synthesizeWorkload(input())
  const hours = expectedPeakHours(series)

  it('targets P90 × headroom, rounded to 0.1 rps', () => {
    expect(workload.test.targetRps).toBe(Math.round(0.96789 * 1.15 * 10) / 10)
    expect(notes['test.targetRps']).toBe('P90 peak 1.0 rps × 1.15 headroom')
  })

  it('takes latency as the request-weighted p95 of the peak hours, spike excluded', () => {
    let w = 0
    let s = 0
    for (const i of hours) {
      const v = series.total.p95Ms?.[i]
      if (v === null || v === undefined) continue
      w += series.total.requests[i]
      s += series.total.requests[i] * v
    }
    expect(workload.test.latencyMs).toBe(Math.round(s / w))
    expect(notes['test.latencyMs']).toMatch(/^request-weighted p95 latency in the 34 busiest hours/)
  })

  it("sizes threads by Little's law", () => {
    const need = workload.test.targetRps * ((workload.test.latencyMs + 250) / 1000)
    expect(workload.test.threads).toBe(Math.ceil(need - 1e-9))
    expect(workload.test.threads - 1).toBeLessThan(need)
    expect(notes['test.threads']).toContain("Little's law")
  })

  it('splits the non-fixed share by peak-hour requests of the configured endpoints, summing to exactly 1', () => {
    const count = (name: string) => hours.reduce((acc, i) => acc + series.endpoints[name].requests[i], 0)
    const a = count('GET /a')
    const b = count('GET /b')
    const [wb, wa, wf] = workload.endpoints.map(e => e.weight)
    expect(workload.endpoints.map(e => e.name)).toEqual(['GET /b', 'GET /a', 'POST /fixed'])
    expect(wf).toBe(0.1)
    expect(Math.abs(wa - (0.9 * a) / (a + b))).toBeLessThanOrEqual(0.0001)
    expect(Math.abs(wb - (0.9 * b) / (a + b))).toBeLessThanOrEqual(0.0001)
    for (const w of [wa, wb, wf]) expect(Math.round(w * 10000)).toBeCloseTo(w * 10000, 9)
    expect(Math.round(wa * 10000) + Math.round(wb * 10000) + Math.round(wf * 10000)).toBe(10000)
    expect(workload.endpoints[2].body).toBe('{}')
    expect(notes['endpoints[POST /fixed].weight']).toBe('fixed in peakcast.yaml')
    expect(notes['endpoints[GET /a].weight']).toContain(`${a} of ${a + b} requests`)
  })

  it('carries the forecast, window, anomalies and config numbers', () => {
    expect(workload.forecast).toEqual({
      model: 'seasonal-naive',
      window: { from: '2026-10-05T00:00Z', to: '2026-10-26T00:00Z' },
      peak: { day: '2026-10-28', hour: '02:00Z', rps: { p10: 0.7, p50: 0.8, p90: 1 } },
      lastWeekPeakRps: 0.8,
      anomalies: [{ from: new Date(spikeAt).toISOString().slice(0, 16) + 'Z', to: new Date(spikeAt + HOUR_MS).toISOString().slice(0, 16) + 'Z', kind: 'spike' }]
    })
    expect(workload.test).toMatchObject({ headroom: 1.15, duration: 1800, rampUp: 300, thinkTime: { distribution: 'gaussian', meanMs: 250, stdDevMs: 40 } })
    expect(workload.target.baseUrl).toBe('https://shop.example.com')
  })

  it('falls back to peakcast.yaml latency and even splits when telemetry has neither', () => {
    const bare: Series = { ...series, total: { requests: series.total.requests }, endpoints: {} }
    const r = synthesizeWorkload(input({ series: bare }))
    expect(r.workload.test.latencyMs).toBe(200)
    expect(r.notes['test.latencyMs']).toMatch(/^peakcast\.yaml latencyMs/)
    expect(r.workload.endpoints.map(e => e.weight)).toEqual([0.45, 0.45, 0.1])
  })

  it('is deterministic', () => {
    expect(JSON.stringify(synthesizeWorkload(input()))).toBe(JSON.stringify(synthesizeWorkload(input())))
  })
})
