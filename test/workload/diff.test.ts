import { diffWorkloads, exceedsBounds } from '../../src/workload/diff.js'
import type { Workload } from '../../src/workload/workload.js'

const base: Workload = {
  apiVersion: 'peakcast/v1',
  kind: 'Workload',
  service: 's',
  target: { baseUrl: 'https://s.example' },
  forecast: {
    model: 'm',
    window: { from: '2026-10-25T00:00Z', to: '2026-11-22T00:00Z' },
    peak: { day: '2026-11-27', hour: '14:00Z', rps: { p10: 90, p50: 100, p90: 120 } },
    lastWeekPeakRps: 100
  },
  test: {
    targetRps: 132,
    headroom: 1.1,
    duration: 1800,
    rampUp: 300,
    threads: 40,
    latencyMs: 200,
    thinkTime: { distribution: 'gaussian', meanMs: 100, stdDevMs: 10 }
  },
  endpoints: [
    { name: 'GET /a', method: 'GET', path: '/a', weight: 0.6 },
    { name: 'GET /b', method: 'GET', path: '/b', weight: 0.4 }
  ]
}

function next(): Workload {
  const w = structuredClone(base)
  w.forecast.peak.rps.p90 = 180
  w.forecast.peak.hour = '15:00Z'
  w.test.targetRps = 198
  w.test.threads = 60
  w.test.duration = 2700
  w.endpoints = [
    { name: 'GET /a', method: 'GET', path: '/a', weight: 0.5 },
    { name: 'GET /c', method: 'GET', path: '/c', weight: 0.5 }
  ]
  return w
}

describe('diffWorkloads', () => {
  const notes = { 'test.targetRps': 'P90 peak 180.0 rps × 1.10 headroom' }
  const changes = diffWorkloads(base, next(), notes)
  const byPath = new Map(changes.map(c => [c.path, c]))

  it('lists only changed parameters, with percentages computed from old and new', () => {
    expect(changes.map(c => c.path)).toEqual([
      'forecast.peak.rps.p90',
      'forecast.peak.at',
      'test.targetRps',
      'test.threads',
      'test.duration',
      'endpoints[GET /a].weight',
      'endpoints[GET /c]',
      'endpoints[GET /c].weight',
      'endpoints[GET /b]'
    ])
    for (const [path, o, n] of [
      ['forecast.peak.rps.p90', 120, 180],
      ['test.targetRps', 132, 198],
      ['test.threads', 40, 60],
      ['endpoints[GET /a].weight', 0.6, 0.5]
    ] as const) {
      const c = byPath.get(path)
      expect(c?.old).toBe(o)
      expect(c?.new).toBe(n)
      expect(c?.changePercent).toBeCloseTo(((n - o) / o) * 100, 1)
    }
    expect(byPath.get('test.duration')).toMatchObject({ old: '30m', new: '45m', changePercent: 50 })
    expect(byPath.get('forecast.peak.at')).toMatchObject({ old: '2026-11-27 14:00Z', new: '2026-11-27 15:00Z', changePercent: null })
  })

  it('says why, from the notes, and marks added and removed endpoints', () => {
    expect(byPath.get('test.targetRps')?.why).toBe('P90 peak 180.0 rps × 1.10 headroom')
    expect(byPath.get('endpoints[GET /c]')).toMatchObject({ old: null, new: 'GET /c', changePercent: null, why: 'added to peakcast.yaml' })
    expect(byPath.get('endpoints[GET /b]')).toMatchObject({ old: 'GET /b', new: null, why: 'removed from peakcast.yaml' })
    expect(byPath.has('endpoints[GET /b].weight')).toBe(false)
  })

  it('no change → no rows; no old workload → every parameter is new', () => {
    expect(diffWorkloads(base, structuredClone(base), {})).toEqual([])
    const first = diffWorkloads(null, base, {})
    expect(first.every(c => c.old === null && c.changePercent === null && c.why === 'first workload for this service')).toBe(true)
    expect(first.map(c => c.path)).toContain('test.targetRps')
  })

  it('exceedsBounds names each parameter over the limit', () => {
    const warnings = exceedsBounds(changes, 49)
    expect(warnings).toHaveLength(4)
    expect(warnings.map(w => w.split(' ')[0])).toEqual(['forecast.peak.rps.p90', 'test.targetRps', 'test.threads', 'test.duration'])
    expect(warnings[1]).toBe('test.targetRps changed by +50.0% (132 → 198), more than the 49% allowed by pullRequest.maxChangePercent: review it closely')
    expect(exceedsBounds(changes, 50)).toEqual([])
  })
})
