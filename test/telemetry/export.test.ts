import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { seriesToCsv } from '../../src/telemetry/export.js'
import { readTelemetryFile } from '../../src/telemetry/file.js'
import { normalize } from '../../src/telemetry/normalize.js'
import { HOUR_MS, type Metrics, type RawPoint, type Series } from '../../src/telemetry/series.js'

const repoRoot = resolve(import.meta.dirname, '../..')
const demoPath = resolve(repoRoot, 'template-repo/telemetry/demo-api.csv')
const START = Date.UTC(2026, 0, 5)
const opts = { service: 'svc', source: 'x' }

let tmp: string
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'peakcast-export-'))
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

async function roundTrip(series: Series): Promise<{ csv: string; back: Series }> {
  const csv = seriesToCsv(series)
  const path = join(tmp, `rt-${Math.random().toString(36).slice(2)}.csv`)
  writeFileSync(path, csv)
  return { csv, back: normalize(await readTelemetryFile(path), { ...opts, source: path }).series }
}

/** tolerance: the file's 3 decimals; a total derived from several rounded endpoints may drift a little more */
function expectMetricsClose(a: Metrics, b: Metrics, tolerance = 0.0005): void {
  for (const k of ['requests', 'latencyMs', 'p95Ms', 'errors'] as const) {
    const x = a[k]
    const y = b[k]
    expect(y === undefined).toBe(x === undefined)
    if (!x || !y) continue
    expect(y).toHaveLength(x.length)
    const worst = x.reduce<number>((w, v, i) => {
      if (v === null || y[i] === null) return v === y[i] ? w : Infinity
      return Math.max(w, Math.abs(v - y[i]!))
    }, 0)
    expect(worst).toBeLessThanOrEqual(tolerance)
  }
}

describe('seriesToCsv', () => {
  test('an endpoint series with gaps, unknown latencies and fractions round-trips through the file reader', async () => {
    const pts: RawPoint[] = []
    for (let i = 0; i < 15 * 24; i++) {
      if (i === 50 || i === 51) continue // a gap in the first week: interpolated, fractional values
      const t = START + i * HOUR_MS
      pts.push({ t, endpoint: 'GET /a, b', requests: 100 + (i % 17), latencyMs: 40 + (i % 5) / 3, p95Ms: 90, errors: i % 3 })
      pts.push({ t, endpoint: 'POST /cart', requests: i % 4 === 0 ? 0 : 7 + (i % 9), latencyMs: i % 4 === 0 ? undefined : 120.25, errors: 0 })
    }
    const x = normalize(pts, opts).series
    expect(x.endpoints['POST /cart'].latencyMs![0]).toBeNull()
    const { csv, back } = await roundTrip(x)
    expect(back.start).toBe(x.start)
    expect(Object.keys(back.endpoints)).toEqual(Object.keys(x.endpoints))
    for (const k of Object.keys(x.endpoints)) expectMetricsClose(x.endpoints[k], back.endpoints[k])
    expectMetricsClose(x.total, back.total, 0.002)
    // once rounded to the file's precision the series is a fixed point: same bytes again
    expect(seriesToCsv(back)).toBe(csv)
    expect(csv.split('\n')[1]).toBe('2026-01-05T00:00:00Z,"GET /a, b",100,40,90,0')
  })

  test('a total-only series is written as rows without endpoint and reads back exactly', async () => {
    const pts = Array.from({ length: 15 * 24 }, (_, i) => ({ t: START + i * HOUR_MS, requests: 1000 + ((i * 7919) % 500) }))
    const x = normalize(pts, opts).series
    const { csv, back } = await roundTrip(x)
    expect(back).toEqual(x)
    expect(csv.split('\n').slice(0, 2)).toEqual(['timestamp,endpoint,requests,latency_ms,p95_ms,errors', '2026-01-05T00:00:00Z,,1000,,,'])
    expect(csv.endsWith('\n')).toBe(true)
  })

  test('rows are sorted by time then endpoint whatever the key order of the object', () => {
    const m = (r: number): Metrics => ({ requests: [r, r] })
    const s: Series = { service: 's', start: START, stepMs: HOUR_MS, total: m(3), endpoints: { b: m(2), a: m(1) } }
    expect(seriesToCsv(s).trim().split('\n').slice(1).map(l => l.split(',').slice(0, 3).join(','))).toEqual([
      '2026-01-05T00:00:00Z,a,1',
      '2026-01-05T00:00:00Z,b,2',
      '2026-01-05T01:00:00Z,a,1',
      '2026-01-05T01:00:00Z,b,2'
    ])
  })
})

describe('the demo telemetry in the template repo', () => {
  test('is current: the script regenerates it byte for byte', () => {
    const out = join(tmp, 'demo.csv')
    execFileSync(resolve(repoRoot, 'node_modules/.bin/tsx'), ['scripts/make-demo-telemetry.ts', out], { cwd: repoRoot, stdio: 'pipe' })
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(demoPath, 'utf8'))
  })

  test('is small, loads as 8 weeks × 4 endpoints peaking at ~30 req/s, and is its own export', async () => {
    expect(statSync(demoPath).size).toBeLessThan(400_000)
    const { series, report } = normalize(await readTelemetryFile(demoPath), { service: 'demo-api', source: demoPath })
    expect(report.gapsFilled + report.duplicatesMerged + report.dropped.length).toBe(0)
    expect(series.start).toBe(Date.UTC(2020, 1, 3))
    expect(series.total.requests).toHaveLength(8 * 7 * 24)
    expect(Object.keys(series.endpoints)).toEqual(['GET /checkout', 'GET /products/{id}', 'GET /search', 'POST /cart'])
    expect(Math.max(...series.total.requests) / 3600).toBeCloseTo(30, 2)
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
    const all = sum(series.total.requests)
    const share = (k: string) => sum(series.endpoints[k].requests) / all
    expect(share('GET /products/{id}')).toBeCloseTo(0.5, 1)
    expect(share('GET /search')).toBeCloseTo(0.25, 1)
    expect(share('POST /cart')).toBeCloseTo(0.15, 1)
    expect(share('GET /checkout')).toBeCloseTo(0.1, 1)
    expect(series.total.latencyMs!.every(v => v !== null && v > 40)).toBe(true)
    expect(seriesToCsv(series)).toBe(readFileSync(demoPath, 'utf8'))
  })

  test('its total shape is the real source scaled: hour by hour, read without the code under test', async () => {
    const src = readFileSync(resolve(repoRoot, '../shared/data/app-server-traffic-vsaveris/traffic_stats_HOURLY_CHs.csv'), 'utf8')
    // Feb–Mar 2020 in Central Europe: UTC+1 until 2020-03-29 01:00 UTC, UTC+2 after
    const switchAt = Date.UTC(2020, 2, 29, 1)
    const byUtc = new Map<number, number>()
    for (const line of src.trim().split('\n').slice(1)) {
      const [y, mo, d, , h, r] = line.split(',').map(Number)
      if (y !== 2020 || mo > 4) continue
      const wall = Date.UTC(y, mo - 1, d, h)
      const t = wall - HOUR_MS < switchAt ? wall - HOUR_MS : wall - 2 * HOUR_MS
      byUtc.set(t, r)
    }
    const { series } = normalize(await readTelemetryFile(demoPath), { service: 'demo-api', source: demoPath })
    const real = series.total.requests.map((_, i) => byUtc.get(series.start + i * HOUR_MS)!)
    const scale = 108_000 / Math.max(...real)
    expect(series.total.requests).toEqual(real.map(v => Math.round(v * scale)))
  })
})
