import { fetchSplunk, type SplunkSourceConfig } from '../../src/telemetry/splunk.js'
import type { RawPoint, SourceContext } from '../../src/telemetry/series.js'
import { loadTelemetry } from '../../src/telemetry/source.js'
import { PeakcastError } from '../../src/util/errors.js'
import { memoryLogger } from '../../src/util/log.js'
import { DATA_START, hourlyData, WEEK } from '../fixtures/connectors/hourly-data.js'
import { startFakeSplunk, type FakeSplunk } from '../helpers/fake-splunk.js'

const TOKEN = 'eyJraWQiOiJzcGx1bmsuc2VjcmV0IiwiYWxnIjoiSFM1MTIifQ.test-token'
const SERVICE = 'checkout-api'
const ENDPOINTS = ['GET /products/{id}', 'POST /cart', 'GET /search']
const data = hourlyData({ weeks: 4, endpoints: ENDPOINTS, seed: 5 })
const WINDOW = { from: DATA_START, to: DATA_START + 4 * WEEK }
const STATS =
  'search index="{index}" service="{service}" | bin _time span=1h | stats count as requests, avg(duration_ms) as latency_ms, perc95(duration_ms) as p95_ms, count(eval(status>=500)) as errors by _time endpoint'

let splunk: FakeSplunk
beforeEach(async () => {
  splunk = await startFakeSplunk({ token: TOKEN, index: 'web', service: SERVICE, data })
})
afterEach(() => splunk.close())

const cfg = (extra: Partial<SplunkSourceConfig> = {}): SplunkSourceConfig => ({ type: 'splunk', url: splunk.url, index: 'web', ...extra })

function ctx(env: Record<string, string> = { SPLUNK_TOKEN: TOKEN }): SourceContext {
  return { service: SERVICE, baseDir: '.', env: { PEAKCAST_HTTP_BACKOFF_MS: '5', PEAKCAST_HTTP_RETRIES: '1', ...env }, log: memoryLogger(), window: WINDOW }
}

async function failure(p: Promise<unknown>): Promise<PeakcastError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(PeakcastError)
  return err as PeakcastError
}

const byKey = (points: RawPoint[]) => new Map(points.map(p => [`${p.t}|${p.endpoint ?? ''}`, p]))

describe('fetchSplunk against the export fake', () => {
  test('the default timechart: 4 weeks per endpoint, preview rows skipped, _time offsets read', async () => {
    const points = await fetchSplunk(cfg(), ctx())
    expect(splunk.violations).toEqual([])
    expect(points).toHaveLength(672 * ENDPOINTS.length)
    const got = byKey(points)
    for (const h of data) expect(got.get(`${h.t}|${h.endpoint}`)?.requests).toBe(h.requests)

    const { form, headers } = splunk.requests[0]
    expect(headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(form).toMatchObject({ output_mode: 'json', earliest_time: String(WINDOW.from / 1000), latest_time: String(WINDOW.to / 1000) })
    expect(form.search).toBe('search index="web" service="checkout-api" | timechart span=1h limit=0 useother=false usenull=false count by endpoint')
  })

  test('a stats query gives latency, p95 and errors too; loadTelemetry normalizes it', async () => {
    const c = ctx()
    const points = await fetchSplunk(cfg({ queries: { requests: STATS } }), c)
    const got = byKey(points)
    expect(got.size).toBe(data.length)
    for (const h of data) {
      expect(got.get(`${h.t}|${h.endpoint}`)).toMatchObject({ requests: h.requests, latencyMs: h.latencyMs, p95Ms: h.p95Ms, errors: h.errors })
    }
    const { series, report } = await loadTelemetry(cfg({ queries: { requests: STATS } }), c)
    expect(series.start).toBe(WINDOW.from)
    expect(series.total.requests).toHaveLength(672)
    expect(Object.keys(series.endpoints)).toEqual([...ENDPOINTS].sort())
    expect(report).toMatchObject({ gapsFilled: 0, duplicatesMerged: 0, dropped: [] })
  })

  test('a timechart without "by" is the service total', async () => {
    const points = await fetchSplunk(cfg({ queries: { requests: 'index="{index}" service="{service}" | timechart span=1h count' } }), ctx())
    // a bare filter got the search command in front
    expect(splunk.requests[0].form.search).toMatch(/^search index="web"/)
    const totals = new Map<number, number>()
    for (const h of data) totals.set(h.t, (totals.get(h.t) ?? 0) + h.requests)
    expect(points.every(p => p.endpoint === undefined)).toBe(true)
    expect(new Map(points.map(p => [p.t, p.requests]))).toEqual(totals)
  })

  test('a FATAL message in the stream fails the fetch, naming the source, the query and the SPL', async () => {
    splunk.messageNext('FATAL', "Error in 'timechart' command: The value for option span (1x) is invalid.")
    const err = await failure(fetchSplunk(cfg(), ctx()))
    expect(err.message).toContain(`splunk:${splunk.url} query "requests" failed: FATAL: Error in 'timechart' command`)
    expect(err.message).toContain('SPL: search index="web"')
    expect(err.place.field).toBe('telemetry.queries.requests')
  })

  test('SPL Splunk cannot parse: HTTP 400 with a FATAL message', async () => {
    const err = await failure(fetchSplunk(cfg({ queries: { requests: 'search index="{index}" | nonsense' } }), ctx()))
    expect(err.message).toMatch(/query "requests" failed: Error in 'search' command: Unable to parse the search/)
  })

  test('INFO/WARN messages do not fail it; a stream cut before lastrow does', async () => {
    splunk.messageNext('INFO', 'Your timerange was substituted based on your search string')
    expect(await fetchSplunk(cfg(), ctx())).toHaveLength(672 * ENDPOINTS.length)
    splunk.truncateNext()
    expect((await failure(fetchSplunk(cfg(), ctx()))).message).toMatch(/ended before its last row/)
  })

  test('401 is an authentication error; a missing token variable is named', async () => {
    const err = await failure(fetchSplunk(cfg(), ctx({ SPLUNK_TOKEN: 'wrong' })))
    expect(err.message).toMatch(/query "requests" \(SPL: .*\): authentication failed, HTTP 401: .*call not properly authenticated/)
    expect(err.hint).toMatch(/SPLUNK_TOKEN/)
    expect((await failure(fetchSplunk(cfg({ tokenEnv: 'MY_SPLUNK' }), ctx()))).message).toMatch(/MY_SPLUNK is not set/)
  })

  test('5xx is retried, then succeeds', async () => {
    splunk.failNext(503, 'busy')
    const c = ctx()
    expect(await fetchSplunk(cfg(), c)).toHaveLength(672 * ENDPOINTS.length)
    expect((c.log as ReturnType<typeof memoryLogger>).lines.some(l => /HTTP 503; retrying/.test(l))).toBe(true)
  })
})
