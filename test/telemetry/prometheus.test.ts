import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fetchPrometheus, MAX_POINTS, sampleValue, type PrometheusSourceConfig } from '../../src/telemetry/prometheus.js'
import type { RawPoint, SourceContext } from '../../src/telemetry/series.js'
import { PeakcastError } from '../../src/util/errors.js'
import { memoryLogger } from '../../src/util/log.js'
import { DATA_START, HOUR, hourlyData, WEEK, type Hour } from '../fixtures/connectors/hourly-data.js'
import { prometheusInstalled, startPrometheus, type PrometheusServer, type Sample } from '../helpers/prometheus-server.js'

const SERVICE = 'checkout-api'
const ENDPOINTS = ['GET /products/{id}', 'POST /cart', 'GET /search?q="x"']
const data = hourlyData({ weeks: 4, endpoints: ENDPOINTS, seed: 11 })
const WINDOW = { from: DATA_START, to: DATA_START + 4 * WEEK }
const LE = ['0.1', '0.25', '1', '+Inf']
const SHARES = [0.5, 0.3, 0.15]

/** Per-hour request counts per histogram bucket (not cumulative), all even. */
function bucketCounts(h: Hour): number[] {
  const counts: number[] = []
  let left = h.requests
  for (const share of SHARES) {
    const c = Math.min(left, 2 * Math.round((h.requests * share) / 2))
    counts.push(c)
    left -= c
  }
  counts.push(left)
  return counts
}

/** histogram_quantile as Prometheus documents it: linear interpolation inside the bucket holding the rank. */
function quantileOfBuckets(q: number, counts: number[]): number {
  const cumulative = counts.map((_, i) => counts.slice(0, i + 1).reduce((a, b) => a + b, 0))
  const total = cumulative[cumulative.length - 1]
  const rank = q * total
  const b = cumulative.findIndex(c => c >= rank)
  const upper = Number(LE[b])
  if (!Number.isFinite(upper)) return Number(LE[b - 1])
  const lower = b === 0 ? 0 : Number(LE[b - 1])
  const below = b === 0 ? 0 : cumulative[b - 1]
  return lower + (upper - lower) * ((rank - below) / (cumulative[b] - below))
}

/**
 * The counters an instrumented service would have exposed, scraped on the hour from a non-zero
 * start. Prometheus 2.x range selectors include both ends, so increase(x[1h]) at the end of an
 * hour sees the samples at both of its ends and is exactly the hour's increase (an hourly
 * scrape keeps promtool's backfill, which writes one block per 2 hours, quick).
 */
function counterSamples(hours: Hour[]): Sample[] {
  const samples: Sample[] = []
  const counter = (name: string, labels: Record<string, string>, perHour: (h: Hour) => number, mine: Hour[]) => {
    let v = 1000
    samples.push({ name, labels, value: v, t: DATA_START })
    for (const h of mine) {
      v += perHour(h)
      samples.push({ name, labels, value: v, t: h.t + HOUR })
    }
  }
  for (const endpoint of ENDPOINTS) {
    const mine = hours.filter(h => h.endpoint === endpoint)
    const labels = { service: SERVICE, endpoint }
    counter('http_requests_total', { ...labels, status: '200' }, h => h.requests - h.errors, mine)
    counter('http_requests_total', { ...labels, status: '500' }, h => h.errors, mine)
    counter('http_request_duration_seconds_sum', labels, h => (h.requests * h.latencyMs) / 1000, mine)
    counter('http_request_duration_seconds_count', labels, h => h.requests, mine)
    LE.forEach((le, i) => {
      counter('http_request_duration_seconds_bucket', { ...labels, le }, h => bucketCounts(h).slice(0, i + 1).reduce((a, b) => a + b, 0), mine)
    })
  }
  // another service's traffic on the same metric must not leak in
  counter('http_requests_total', { service: 'other', endpoint: 'GET /', status: '200' }, () => 1_000_000, hours.filter(h => h.endpoint === ENDPOINTS[0]))
  return samples
}

let prom: PrometheusServer
beforeAll(async () => {
  if (!prometheusInstalled()) throw new Error('prometheus/promtool not found: run scripts/install-prometheus.sh')
  prom = await startPrometheus(counterSamples(data))
}, 120_000)
afterAll(() => prom?.close())

const cfg = (extra: Partial<PrometheusSourceConfig> = {}): PrometheusSourceConfig => ({ type: 'prometheus', url: prom.url, ...extra })

function ctx(window = WINDOW, env: Record<string, string> = {}): SourceContext {
  return { service: SERVICE, baseDir: '.', env: { PEAKCAST_HTTP_BACKOFF_MS: '5', PEAKCAST_HTTP_RETRIES: '1', ...env }, log: memoryLogger(), window }
}

async function failure(p: Promise<unknown>): Promise<PeakcastError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(PeakcastError)
  return err as PeakcastError
}

function expectBackfilledHistory(points: RawPoint[]) {
  expect(points).toHaveLength(672 * ENDPOINTS.length)
  const byKey = new Map(points.map(p => [`${p.t}|${p.endpoint}`, p]))
  expect(byKey.size).toBe(points.length)
  for (const h of data) {
    const p = byKey.get(`${h.t}|${h.endpoint}`)
    expect(p).toBeDefined()
    expect(p!.requests).toBe(h.requests)
    expect(p!.errors).toBe(h.errors)
    expect(p!.latencyMs).toBeCloseTo(h.latencyMs, 6)
    expect(p!.p95Ms).toBeCloseTo(1000 * quantileOfBuckets(0.95, bucketCounts(h)), 6)
  }
}

describe('fetchPrometheus against a real Prometheus with 4 weeks of backfilled history', () => {
  test('the default PromQL returns the 4 weeks value for value', async () => {
    expectBackfilledHistory(await fetchPrometheus(cfg(), ctx()))
  })

  test('a window longer than 11,000 hourly points is split; unsplit, Prometheus refuses it', async () => {
    const hours = MAX_POINTS + 1000
    const long = { from: WINDOW.to - hours * HOUR, to: WINDOW.to }
    const raw = await fetch(`${prom.url}/api/v1/query_range`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: 'up', start: String(long.from / 1000 + 3600), end: String(long.to / 1000), step: '3600' }).toString()
    })
    expect(raw.status).toBe(400)
    expect(await raw.text()).toMatch(/exceeded maximum resolution of 11,000 points per timeseries/)

    expectBackfilledHistory(await fetchPrometheus(cfg(), ctx(long)))
  })

  test('"NaN" and "+Inf" samples are passed on as numbers for normalize to drop', async () => {
    const base = 'sum by (endpoint) (increase(http_requests_total{service="{service}"}[1h]))'
    const inf = await fetchPrometheus(cfg({ queries: { requests: `${base} / 0` } }), ctx())
    expect(inf).toHaveLength(672 * ENDPOINTS.length)
    expect(inf.every(p => p.requests === Infinity)).toBe(true)
    const nan = await fetchPrometheus(cfg({ queries: { requests: `(${base} - ${base}) / 0` } }), ctx())
    expect(nan.every(p => Number.isNaN(p.requests))).toBe(true)
    expect([sampleValue('NaN'), sampleValue('+Inf'), sampleValue('-Inf'), sampleValue('1.5e3')]).toEqual([NaN, Infinity, -Infinity, 1500])
  })

  test('a service total query (no labels) gives points without endpoint', async () => {
    const points = await fetchPrometheus(cfg({ queries: { requests: 'sum(increase(http_requests_total{service="{service}"}[1h]))' } }), ctx())
    const totals = new Map<number, number>()
    for (const h of data) totals.set(h.t, (totals.get(h.t) ?? 0) + h.requests)
    expect(points.every(p => p.endpoint === undefined)).toBe(true)
    expect(new Map(points.map(p => [p.t, p.requests]))).toEqual(totals)
  })

  test('bad PromQL and unaggregated series are errors naming the source, query and PromQL', async () => {
    const bad = await failure(fetchPrometheus(cfg({ queries: { requests: 'sum by (endpoint) (increase(http_requests_total[1h]' } }), ctx()))
    expect(bad.message).toMatch(new RegExp(`prometheus:${prom.url} query "requests" failed: bad_data: .*parse error`))
    expect(bad.message).toContain('PromQL: sum by (endpoint)')
    expect(bad.place.field).toBe('telemetry.queries.requests')

    const twice = await failure(fetchPrometheus(cfg({ queries: { requests: 'increase(http_requests_total{service="{service}"}[1h])' } }), ctx()))
    expect(twice.message).toMatch(/two series for endpoint/)
    expect(twice.hint).toMatch(/sum by \(endpoint\)/)
  })
})

describe('fetchPrometheus: authentication and HTTP failures', () => {
  async function capture(status: number, body: string) {
    const seen: IncomingHttpHeaders[] = []
    const server = createServer((req, res) => {
      seen.push(req.headers)
      req.resume()
      req.on('end', () => res.writeHead(status, { 'Content-Type': 'application/json' }).end(body))
    })
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return { url, seen, close: () => new Promise<void>(r => server.close(() => r())) }
  }

  const empty = JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } })

  test('bearer and basic credentials come from the named environment variables', async () => {
    const srv = await capture(200, empty)
    try {
      await fetchPrometheus({ type: 'prometheus', url: srv.url, auth: { type: 'bearer', tokenEnv: 'PROM_TOKEN' } }, ctx(WINDOW, { PROM_TOKEN: 'tok-123' }))
      expect(srv.seen[0].authorization).toBe('Bearer tok-123')
      await fetchPrometheus(
        { type: 'prometheus', url: `${srv.url}/`, auth: { type: 'basic', userEnv: 'PROM_USER', passwordEnv: 'PROM_PASS' } },
        ctx(WINDOW, { PROM_USER: 'peak', PROM_PASS: 'p:ss' })
      )
      expect(srv.seen[srv.seen.length - 1].authorization).toBe(`Basic ${Buffer.from('peak:p:ss').toString('base64')}`)
      expect(srv.seen[srv.seen.length - 1]['content-type']).toBe('application/x-www-form-urlencoded')
    } finally {
      await srv.close()
    }
  })

  test('401 is an authentication error; a missing variable is named', async () => {
    const srv = await capture(401, 'Unauthorized')
    try {
      const err = await failure(fetchPrometheus({ type: 'prometheus', url: srv.url, auth: { type: 'bearer', tokenEnv: 'PROM_TOKEN' } }, ctx(WINDOW, { PROM_TOKEN: 'tok-123' })))
      expect(err.message).toMatch(/query "requests" \(PromQL: .*\): authentication failed, HTTP 401/)
      expect(srv.seen).toHaveLength(1)
      const missing = await failure(fetchPrometheus({ type: 'prometheus', url: srv.url, auth: { type: 'bearer', tokenEnv: 'PROM_TOKEN' } }, ctx()))
      expect(missing.message).toMatch(/PROM_TOKEN is not set/)
    } finally {
      await srv.close()
    }
  })

  test('503 is retried, then reported', async () => {
    const srv = await capture(503, JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'overloaded' }))
    try {
      const err = await failure(fetchPrometheus({ type: 'prometheus', url: srv.url }, ctx(WINDOW, { PEAKCAST_HTTP_RETRIES: '2' })))
      expect(srv.seen).toHaveLength(3)
      expect(err.message).toMatch(/query "requests" failed: unavailable: overloaded/)
    } finally {
      await srv.close()
    }
  })
})
