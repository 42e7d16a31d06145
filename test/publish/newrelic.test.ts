import { parseCriterion } from '../../src/slo/criteria.js'
import { evaluateSlo } from '../../src/slo/evaluate.js'
import { newRelicEndpoints, publishToNewRelic, type NewRelicEvent, type PublishInput } from '../../src/publish/newrelic.js'
import { PeakcastError } from '../../src/util/errors.js'
import type { Logger } from '../../src/util/log.js'
import { runStats, spread } from '../fixtures/slo/run-stats.js'
import { startFakeNewRelicIngest, type FakeNewRelicIngest } from '../helpers/fake-newrelic-ingest.js'

const KEY = 'NRAK-PLANTED0SECRET0KEY0123456789'

/** keeps every line and every registered secret */
function recordingLogger(): Logger & { lines: string[]; secrets: string[] } {
  const lines: string[] = []
  const secrets: string[] = []
  return {
    lines,
    secrets,
    info: m => lines.push(m),
    warn: m => lines.push(`warning: ${m}`),
    step: t => {
      lines.push(t)
      return () => undefined
    },
    secret: v => secrets.push(v)
  }
}

// a run that ended a minute ago, so New Relic would keep its timestamps
const stats = runStats(
  [
    { label: 'GET /products/{id}', elapsed: spread(300, 20, 200) },
    { label: 'POST /cart', elapsed: spread(200, 50, 400), errors: 3 }
  ],
  { durationS: 50, endMs: Date.now() - 60_000, targetRps: 10 }
)
const slo = evaluateSlo(
  {
    objectives: [{ metric: 'p95(latency_ms)', pass: parseCriterion('< 300', 'p95(latency_ms)'), key: true, weight: 1 }],
    comparison: { runs: 5, include: 'pass' },
    totalScore: { pass: 90, warning: 75 }
  },
  stats
)

let fake: FakeNewRelicIngest
beforeEach(async () => {
  fake = await startFakeNewRelicIngest({ expectedKey: KEY })
})
afterEach(async () => {
  await fake.close()
})

function publishInput(over: Partial<PublishInput> = {}): PublishInput & { log: ReturnType<typeof recordingLogger> } {
  return {
    stats,
    slo,
    service: 'checkout-api',
    runId: '1234-1',
    commit: 'a'.repeat(40),
    region: 'US',
    accountId: 1234567,
    apiKey: KEY,
    fetch: fake.fetch,
    sleep: async () => undefined,
    log: recordingLogger(),
    ...over
  } as PublishInput & { log: ReturnType<typeof recordingLogger> }
}

describe('publishToNewRelic', () => {
  test.each([
    ['US', 'https://insights-collector.newrelic.com/v1/accounts/1234567/events', 'https://metric-api.newrelic.com/metric/v1'],
    ['EU', 'https://insights-collector.eu01.nr-data.net/v1/accounts/1234567/events', 'https://metric-api.eu.newrelic.com/metric/v1']
  ] as const)('%s: events and gauges reach the documented endpoints in the documented shapes', async (region, eventsUrl, metricsUrl) => {
    expect(newRelicEndpoints(region, 1234567)).toEqual({ events: eventsUrl, metrics: metricsUrl })
    const input = publishInput({ region })
    const result = await publishToNewRelic(input)

    expect(fake.violations).toEqual([])
    expect(fake.targets).toEqual([eventsUrl, metricsUrl])
    // 9 gauges for the total and for each of the 2 endpoints, plus target rate and SLO score
    expect(result).toEqual({ events: 3, metrics: 9 * 3 + 2, requests: 2 })

    const [eventsReq, metricsReq] = fake.requests
    expect(eventsReq.api).toBe('events')
    expect(eventsReq.accountId).toBe('1234567')
    expect(eventsReq.headers['api-key']).toBe(KEY)
    expect(eventsReq.headers['content-encoding']).toBe('gzip')

    const events = eventsReq.body as NewRelicEvent[]
    expect(events.map(e => e.eventType)).toEqual(['PeakcastRun', 'PeakcastEndpoint', 'PeakcastEndpoint'])
    const run = events[0]
    expect(run).toMatchObject({ service: 'checkout-api', runId: '1234-1', commit: 'a'.repeat(40), verdict: slo.verdict, requests: 500, errors: 3 })
    expect(run.timestamp).toBe(Math.floor(stats.endMs / 1000))
    expect(run.latencyP95Ms).toBe(stats.total.p95)
    expect(run.achievedRatio).toBeCloseTo(500 / 50 / 10, 12)
    const cart = events.find(e => e.endpoint === 'POST /cart')!
    expect(cart.latencyP99Ms).toBe(stats.labels[1].p99)
    expect(cart.errorRate).toBeCloseTo(3 / 200, 12)

    expect(metricsReq.api).toBe('metrics')
    const [batch] = metricsReq.body as { common: { timestamp: number; attributes: Record<string, unknown> }; metrics: { name: string; type: string; value: number; attributes: Record<string, string> }[] }[]
    expect(batch.common.timestamp).toBe(stats.endMs)
    expect(batch.common.attributes).toMatchObject({ service: 'checkout-api', runId: '1234-1' })
    const p95 = (scope: string, endpoint?: string) =>
      batch.metrics.find(m => m.name === 'peakcast.latency.p95' && m.attributes.scope === scope && m.attributes.endpoint === endpoint)?.value
    expect(p95('total')).toBe(stats.total.p95)
    expect(p95('endpoint', 'GET /products/{id}')).toBe(stats.labels[0].p95)
    expect(batch.metrics.every(m => m.type === 'gauge')).toBe(true)
    expect(batch.metrics.find(m => m.name === 'peakcast.slo.score')?.value).toBe(slo.score)
  })

  test('without gzip; an insert key goes in X-Insert-Key', async () => {
    await publishToNewRelic(publishInput({ gzip: false, keyType: 'insert' }))
    expect(fake.violations).toEqual([])
    for (const r of fake.requests) {
      expect(r.headers['content-encoding']).toBeUndefined()
      expect(r.headers['x-insert-key']).toBe(KEY)
      expect(r.headers['api-key']).toBeUndefined()
    }
  })

  test('429 and 5xx are retried with backoff, honouring Retry-After', async () => {
    const waits: number[] = []
    fake.failNext(429, 1, 'slow down', { 'Retry-After': '7' })
    fake.failNext(503, 1)
    const input = publishInput({ sleep: async ms => void waits.push(ms) })
    await publishToNewRelic(input)
    expect(waits).toEqual([7000, 2000])
    expect(fake.requests.map(r => r.api)).toEqual(['events', 'metrics'])
    expect(input.log.lines.filter(l => l.startsWith('warning:'))).toHaveLength(2)
  })

  test('when retries run out, the error names the API and the status', async () => {
    fake.failNext(502, 4, 'bad gateway')
    const err = await publishToNewRelic(publishInput({ retries: 3 })).catch(e => e)
    expect(err).toBeInstanceOf(PeakcastError)
    expect(err.message).toMatch(/^New Relic Event API \(insights-collector\.newrelic\.com\) answered HTTP 502: bad gateway/)
  })

  test('a rejected key fails at once, and the key never shows in messages or logs', async () => {
    // an adversarial server that echoes the key back
    fake.failNext(403, 1, `{"error":"invalid key ${KEY}"}`)
    const input = publishInput()
    const err = await publishToNewRelic(input).catch(e => e)
    expect(err).toBeInstanceOf(PeakcastError)
    expect(err.message).toMatch(/New Relic Event API .* answered HTTP 403/)
    expect(err.message).toMatch(/check the key/)
    expect(err.message).not.toContain(KEY)
    expect(String(err.stack)).not.toContain(KEY)
    expect(input.log.secrets).toEqual([KEY])
    expect(input.log.lines.join('\n')).not.toContain(KEY)
    expect(fake.requests).toHaveLength(0)
  })

  test('network errors are retried, then reported without the key', async () => {
    const failing: typeof fetch = async () => {
      throw new Error(`connect ECONNREFUSED (while sending ${KEY})`)
    }
    const input = publishInput({ fetch: failing, retries: 2 })
    const err = await publishToNewRelic(input).catch(e => e)
    expect(err.message).toMatch(/^New Relic Event API \(insights-collector\.newrelic\.com\) could not be reached/)
    expect(err.message).not.toContain(KEY)
    expect(input.log.lines.filter(l => l.startsWith('warning:'))).toHaveLength(2)
    expect(input.log.lines.join('\n')).not.toContain(KEY)
  })

  test('a successful publish logs without the key', async () => {
    const input = publishInput()
    await publishToNewRelic(input)
    expect(input.log.lines.join('\n')).toMatch(/published 3 events/)
    expect(input.log.lines.join('\n')).not.toContain(KEY)
  })

  test('bad configuration is refused before any request', async () => {
    await expect(publishToNewRelic(publishInput({ apiKey: '' }))).rejects.toThrow(/no New Relic API key/)
    await expect(publishToNewRelic(publishInput({ accountId: 'acme' }))).rejects.toThrow(/account id "acme" is not a number/)
    expect(fake.targets).toEqual([])
  })

  test('the fake holds the contract: off-contract payloads are refused', async () => {
    const post = (path: string, body: unknown, headers: Record<string, string> = { 'Api-Key': KEY }) =>
      fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) })
    expect((await post('/v1/accounts/1/events', [{ eventType: 'X', nested: { a: 1 } }])).status).toBe(400)
    expect((await post('/v1/accounts/1/events', [{ eventType: 'bad-type!' }])).status).toBe(400)
    expect((await post('/v1/accounts/1/events', [{ eventType: 'X', timestamp: 1 }])).status).toBe(400)
    expect((await post('/metric/v1', [{ metrics: [{ name: 'm', type: 'gauge', value: 1, attributes: { 'bad key': 'v' } }] }])).status).toBe(400)
    expect((await post('/metric/v1', [{ metrics: [{ name: 'm', type: 'count', value: 1 }] }])).status).toBe(400)
    expect((await post('/metric/v1', [{ metrics: [{ name: 'm', type: 'gauge', value: 1 }] }], {})).status).toBe(403)
    expect(fake.violations).toHaveLength(6)
    expect((await post('/metric/v1', [{ metrics: [{ name: 'm', type: 'gauge', value: 1 }] }])).status).toBe(202)
  })
})
