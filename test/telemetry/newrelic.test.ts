import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { exportTelemetryCommand } from '../../src/commands/export-telemetry.js'
import type { CommandContext } from '../../src/commands/context.js'
import { splitWindow } from '../../src/telemetry/api-source.js'
import { backoffMs, httpSettings, retryableStatus } from '../../src/telemetry/http-retry.js'
import { fetchNewRelic, MAX_BUCKETS, NERDGRAPH_URLS, type NewRelicSourceConfig } from '../../src/telemetry/newrelic.js'
import type { RawPoint, SourceContext } from '../../src/telemetry/series.js'
import { PeakcastError } from '../../src/util/errors.js'
import { memoryLogger } from '../../src/util/log.js'
import { DATA_START, HOUR, hourlyData, WEEK, type Hour } from '../fixtures/connectors/hourly-data.js'
import { FAKE_ACCOUNT, startFakeNerdGraph, TOO_MANY_BUCKETS, type FakeNerdGraph } from '../helpers/fake-nerdgraph.js'

const KEY = 'NRAK-TESTKEY0000000000000000000'
const APP = "checkout-api (prod's)"
// 12 endpoints: more than the 10 rows FACET returns without LIMIT
const ENDPOINTS = Array.from({ length: 12 }, (_, i) => `WebTransaction/Expressjs/GET /api/item${String(i).padStart(2, '0')}`)
const data = hourlyData({ weeks: 4, endpoints: ENDPOINTS })
const WINDOW = { from: DATA_START, to: DATA_START + 4 * WEEK }
const repoRoot = resolve(import.meta.dirname, '../..')

const cfg: NewRelicSourceConfig = { type: 'newrelic', accountId: FAKE_ACCOUNT, appName: APP }

let fake: FakeNerdGraph
let tmp: string
beforeEach(async () => {
  fake = await startFakeNerdGraph({ apiKey: KEY, appName: APP, data })
})
afterEach(() => fake.close())
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'peakcast-newrelic-'))
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function ctx(env: Record<string, string> = {}): SourceContext & { log: ReturnType<typeof memoryLogger> } {
  return {
    service: 'checkout-api',
    baseDir: tmp,
    env: { NEW_RELIC_API_KEY: KEY, PEAKCAST_NERDGRAPH_URL: fake.url, PEAKCAST_HTTP_BACKOFF_MS: '5', ...env },
    log: memoryLogger(),
    window: WINDOW
  }
}

async function failure(p: Promise<unknown>): Promise<PeakcastError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(PeakcastError)
  return err as PeakcastError
}

const key = (t: number, endpoint?: string) => `${t}|${endpoint ?? ''}`

describe('window split for the 366-bucket limit', () => {
  test('4 weeks hourly → chunks of ≤ 366 hours that cover 672 distinct hours once each', () => {
    const chunks = splitWindow(WINDOW, HOUR, MAX_BUCKETS)
    expect(chunks.length).toBeGreaterThanOrEqual(2)
    const hours: number[] = []
    for (const c of chunks) {
      const n = (c.to - c.from) / HOUR
      expect(Number.isInteger(n) && n >= 1 && n <= 366).toBe(true)
      for (let t = c.from; t < c.to; t += HOUR) hours.push(t)
    }
    expect(hours).toHaveLength(672)
    expect(new Set(hours).size).toBe(672)
    const expected = Array.from({ length: 672 }, (_, i) => WINDOW.from + i * HOUR)
    expect([...hours].sort((a, b) => a - b)).toEqual(expected)
  })

  test('windows of odd lengths and tiny limits split without gaps or overlap', () => {
    for (const [hours, max] of [
      [1, 366],
      [366, 366],
      [367, 366],
      [733, 366],
      [10, 3]
    ]) {
      const w = { from: DATA_START, to: DATA_START + hours * HOUR }
      const chunks = splitWindow(w, HOUR, max)
      expect(chunks[0].from).toBe(w.from)
      expect(chunks[chunks.length - 1].to).toBe(w.to)
      chunks.forEach((c, i) => {
        expect((c.to - c.from) / HOUR).toBeLessThanOrEqual(max)
        if (i > 0) expect(c.from).toBe(chunks[i - 1].to)
      })
      expect(chunks).toHaveLength(Math.ceil(hours / max))
    }
  })
})

describe('fetchNewRelic against the NerdGraph fake', () => {
  test('4 weeks × 12 endpoints come back value for value, in ≤ 366-bucket queries with LIMIT MAX', async () => {
    const c = ctx()
    const points = await fetchNewRelic(cfg, c)
    expect(fake.violations).toEqual([])

    expect(points).toHaveLength(672 * ENDPOINTS.length)
    const byKey = new Map<string, RawPoint>(points.map(p => [key(p.t, p.endpoint), p]))
    expect(byKey.size).toBe(points.length) // no doubled hour
    for (const h of data) {
      const p = byKey.get(key(h.t, h.endpoint))
      expect(p).toBeDefined()
      expect(p!.requests).toBe(h.requests)
      expect(p!.errors).toBe(h.errors)
      expect(p!.latencyMs).toBeCloseTo(h.latencyMs, 9) // answered in seconds, back in ms
      expect(p!.p95Ms).toBeCloseTo(h.p95Ms, 9)
    }

    // every query stayed within NerdGraph's limits
    expect(fake.nrqls).toHaveLength(4 * 2)
    for (const q of fake.nrqls) {
      expect(q).toMatch(/ LIMIT MAX /)
      const [, since, until] = / SINCE (\d+) UNTIL (\d+)$/.exec(q)!
      expect((Number(until) - Number(since)) / HOUR).toBeLessThanOrEqual(366)
    }
    // the app name's quote was escaped, so the fake matched the app at all
    expect(fake.nrqls[0]).toContain("appName = 'checkout-api (prod\\'s)'")
  })

  test('the fake enforces what New Relic does: 366 buckets at most, FACET 10 rows without LIMIT', async () => {
    const noSplit = `SELECT count(*) FROM Transaction WHERE appName = '${APP.replace("'", "\\'")}' FACET name LIMIT MAX TIMESERIES 1 hour SINCE ${WINDOW.from} UNTIL ${WINDOW.to}`
    const res = await fetch(fake.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'API-Key': KEY },
      body: JSON.stringify({ query: 'query($accountId: Int!, $nrql: Nrql!) { actor { account(id: $accountId) { nrql(query: $nrql) { results } } } }', variables: { accountId: FAKE_ACCOUNT, nrql: noSplit } })
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { errors: { message: string }[] }
    expect(body.errors[0].message).toBe(TOO_MANY_BUCKETS)

    // a user query without LIMIT gets only the top 10 endpoints
    const custom = { requests: "SELECT count(*) FROM Transaction WHERE appName = '{appName}' FACET name TIMESERIES 1 hour SINCE {from} UNTIL {to}" }
    const points = await fetchNewRelic({ ...cfg, queries: custom }, ctx())
    expect(new Set(points.map(p => p.endpoint)).size).toBe(10)
  })

  test('async queries: an unfinished answer is polled with nrqlQueryProgress until it completes', async () => {
    fake.asyncPolls = 3
    const points = await fetchNewRelic(cfg, ctx())
    expect(points).toHaveLength(672 * ENDPOINTS.length)
    const progress = fake.calls.filter(c => /nrqlQueryProgress/.test(c.query))
    expect(progress).toHaveLength(8 * 3)
    expect(fake.calls.filter(c => c.nrql !== undefined).every(c => /async:\s*true/.test(c.query))).toBe(true)
    expect(fake.violations).toEqual([])
  })

  test('a query without FACET gives the service total per hour', async () => {
    const total = { requests: "SELECT count(*) FROM Transaction WHERE appName = '{appName}' TIMESERIES 1 hour SINCE {from} UNTIL {to}" }
    const points = await fetchNewRelic({ ...cfg, queries: total }, ctx())
    const expected = new Map<number, number>()
    for (const h of data) expected.set(h.t, (expected.get(h.t) ?? 0) + h.requests)
    expect(points.every(p => p.endpoint === undefined)).toBe(true)
    expect(new Map(points.map(p => [p.t, p.requests]))).toEqual(expected)
  })

  test('GraphQL errors in an HTTP 200 name the source, the query and the NRQL', async () => {
    fake.errorNext("NRQL Syntax Error: Error at line 1 position 8, unexpected 'FORM'")
    const err = await failure(fetchNewRelic(cfg, ctx()))
    expect(err.message).toContain(`newrelic:${APP} query "requests" failed`)
    expect(err.message).toContain("unexpected 'FORM'")
    expect(err.message).toContain('NRQL: SELECT count(*) FROM Transaction')
    expect(err.place.field).toBe('telemetry.queries.requests')
  })

  test('401 is an authentication error, not retried', async () => {
    const err = await failure(fetchNewRelic(cfg, ctx({ NEW_RELIC_API_KEY: 'NRAK-WRONG' })))
    expect(err.message).toMatch(/query "requests": authentication failed, HTTP 401/)
    expect(err.hint).toMatch(/User key/)
    expect(fake.calls).toHaveLength(0) // the fake rejected before recording a NerdGraph call
  })

  test('429 and 5xx are retried with backoff, then succeed', async () => {
    fake.failNext(503, 2)
    fake.failNext(429, 1)
    const c = ctx()
    const points = await fetchNewRelic(cfg, c)
    expect(points).toHaveLength(672 * ENDPOINTS.length)
    expect(c.log.lines.filter(l => /retrying in/.test(l))).toHaveLength(3)
  })

  test('persistent 5xx ends in a clear error after the retries', async () => {
    fake.failNext(502, 10)
    const err = await failure(fetchNewRelic(cfg, ctx({ PEAKCAST_HTTP_RETRIES: '2' })))
    expect(err.message).toMatch(/query "requests": HTTP 502/)
    expect(err.hint).toMatch(/try again later/)
  })

  test('a server that never answers times out, is retried, then fails naming the query', async () => {
    fake.hangNext(2)
    const err = await failure(fetchNewRelic(cfg, ctx({ PEAKCAST_HTTP_RETRIES: '1', PEAKCAST_HTTP_TIMEOUT_S: '0.3' })))
    expect(err.message).toMatch(/newrelic:.* query "requests": no answer within 0.3 s \(timed out\) \(after 2 attempt\(s\)\)/)
  })

  test('a missing key is named by its variable; unknown query names and missing placeholders are refused', async () => {
    const noKey = ctx()
    delete noKey.env.NEW_RELIC_API_KEY
    expect((await failure(fetchNewRelic(cfg, noKey))).message).toMatch(/environment variable NEW_RELIC_API_KEY is not set/)
    expect((await failure(fetchNewRelic({ ...cfg, apiKeyEnv: 'NR_KEY' }, ctx()))).message).toMatch(/NR_KEY is not set/)
    expect((await failure(fetchNewRelic({ ...cfg, queries: { requestz: 'x' } }, ctx()))).message).toMatch(/unknown query "requestz"/)
    const noWindow = { requests: "SELECT count(*) FROM Transaction WHERE appName = '{appName}' TIMESERIES 1 hour SINCE 1 week ago" }
    expect((await failure(fetchNewRelic({ ...cfg, queries: noWindow }, ctx()))).message).toMatch(/lacks \{from\} and \{to\}/)
    expect(fake.calls).toHaveLength(0)
  })

  test('retry policy: 429/408/5xx only; doubling backoff capped at 30 s; Retry-After wins; env knobs', () => {
    expect([200, 400, 401, 403, 404, 408, 429, 500, 502, 503].filter(retryableStatus)).toEqual([408, 429, 500, 502, 503])
    expect([0, 1, 2, 3, 10].map(a => backoffMs(a, 1000))).toEqual([1000, 2000, 4000, 8000, 30_000])
    expect(backoffMs(0, 1000, '7')).toBe(7000)
    expect(backoffMs(0, 1000, 'Wed, 21 Oct 2026 07:28:00 GMT')).toBe(1000)
    expect(httpSettings({})).toEqual({ retries: 3, timeoutMs: 120_000, backoffMs: 1000 })
    expect(httpSettings({ PEAKCAST_HTTP_RETRIES: '0', PEAKCAST_HTTP_TIMEOUT_S: '2.5' })).toMatchObject({ retries: 0, timeoutMs: 2500 })
    expect(() => httpSettings({ PEAKCAST_HTTP_RETRIES: 'many' })).toThrow(/PEAKCAST_HTTP_RETRIES must be a non-negative number/)
  })

  test('region picks the documented host', () => {
    expect(NERDGRAPH_URLS.US).toBe('https://api.newrelic.com/graphql')
    expect(NERDGRAPH_URLS.EU).toBe('https://api.eu.newrelic.com/graphql')
  })
})

describe('export-telemetry with New Relic', () => {
  const config = resolve(repoRoot, 'test/fixtures/connectors/peakcast-newrelic.yaml')
  const euApp = 'checkout-api (prod)'

  function commandCtx(cwd: string, env: Record<string, string> = {}): CommandContext & { log: ReturnType<typeof memoryLogger> } {
    return {
      cwd,
      log: memoryLogger(),
      // one minute past the end of the data: the last 4 whole weeks are exactly the data
      now: DATA_START + 4 * WEEK + 60_000,
      env: { NEW_RELIC_API_KEY: KEY, PEAKCAST_NERDGRAPH_URL: fake.url, PEAKCAST_HTTP_BACKOFF_MS: '5', PEAKCAST_HTTP_RETRIES: '1', PEAKCAST_HTTP_TIMEOUT_S: '0.3', ...env }
    }
  }

  async function restart(hours: Hour[]) {
    await fake.close()
    fake = await startFakeNerdGraph({ apiKey: KEY, appName: euApp, data: hours })
  }

  test('writes the CSV and reports repairs', async () => {
    await restart(data.filter(h => h.endpoint === ENDPOINTS[0] && h.t !== DATA_START + 100 * HOUR))
    const cwd = mkdtempSync(join(tmp, 'ok-'))
    const out = await exportTelemetryCommand.run({ config, weeks: 4 }, commandCtx(cwd))
    const path = join(cwd, 'telemetry-export/checkout-api.csv')
    expect(out.outputs?.path).toBe(path)
    expect(out.text).toMatch(/checkout-api: 672 hours from 2026-01-05T00:00:00Z/)
    // the missing hour comes back from NerdGraph as 0 requests for the facet: a row, not a gap
    expect(out.text).toMatch(/672 rows read, 0 gap hours filled/)
    expect(readdirSync(join(cwd, 'telemetry-export'))).toEqual(['checkout-api.csv'])
  })

  test.each([
    ['an NRQL error in a 200', (f: FakeNerdGraph) => f.errorNext('NRQL Syntax Error: boom'), {}, /query "requests" failed: NRQL Syntax Error: boom/],
    ['401', () => undefined, { NEW_RELIC_API_KEY: 'NRAK-WRONG' }, /query "requests": authentication failed, HTTP 401/],
    ['a timeout', (f: FakeNerdGraph) => f.hangNext(2), {}, /query "requests": no answer within 0.3 s \(timed out\)/]
  ])('%s: a clear error and no file written', async (_name, arrange, env, message) => {
    await restart(data)
    arrange(fake)
    const cwd = mkdtempSync(join(tmp, 'fail-'))
    const err = await failure(exportTelemetryCommand.run({ config, weeks: 4 }, commandCtx(cwd, env)))
    expect(err.message).toMatch(message)
    expect(err.message).toContain('newrelic:checkout-api (prod)')
    expect(existsSync(join(cwd, 'telemetry-export'))).toBe(false)
    expect(readdirSync(cwd)).toEqual([])
  })
})
