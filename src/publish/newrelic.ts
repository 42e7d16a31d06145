/**
 * Closes the loop: load-test results into New Relic, next to the production telemetry the
 * forecast came from. Custom events (Event API) for NRQL/dashboards, gauges (Metric API) for
 * charts and alerts. The APIs are called directly (the telemetry SDK is archived).
 *   Event API:  POST https://insights-collector.newrelic.com/v1/accounts/{id}/events (EU: insights-collector.eu01.nr-data.net)
 *   Metric API: POST https://metric-api.newrelic.com/metric/v1 (EU: metric-api.eu.newrelic.com)
 * Both take a license key in `Api-Key` (an Insights insert key goes in `X-Insert-Key`), JSON,
 * optionally gzip, at most 1 MB per POST.
 */
import { gzipSync } from 'node:zlib'
import type { LabelStats, RunStats } from '../jmeter/stats.js'
import type { SloResult } from '../slo/evaluate.js'
import { PeakcastError } from '../util/errors.js'
import type { Logger } from '../util/log.js'

export type NewRelicRegion = 'US' | 'EU'

export interface NewRelicEndpoints {
  events: string
  metrics: string
}

export function newRelicEndpoints(region: NewRelicRegion, accountId: string | number): NewRelicEndpoints {
  const eu = region === 'EU'
  return {
    events: `https://${eu ? 'insights-collector.eu01.nr-data.net' : 'insights-collector.newrelic.com'}/v1/accounts/${accountId}/events`,
    metrics: `https://${eu ? 'metric-api.eu.newrelic.com' : 'metric-api.newrelic.com'}/metric/v1`
  }
}

/** What is published: statistics and the verdict, never request data. */
export interface RunSummary {
  stats: RunStats
  slo?: SloResult
  service: string
  runId: string
  commit: string
  /** defaults to stats.targetRps */
  targetRps?: number
}

export type EventAttributes = Record<string, string | number | boolean>
export type NewRelicEvent = { eventType: 'PeakcastRun' | 'PeakcastEndpoint'; timestamp: number } & EventAttributes

/** Attribute values longer than this are cut by the Event and Metric APIs; cut them ourselves. */
const MAX_STRING = 4096

export function peakcastEvents(run: RunSummary): NewRelicEvent[] {
  const timestamp = Math.floor(run.stats.endMs / 1000) // the Event API takes epoch seconds
  const common = { service: run.service, runId: run.runId, commit: run.commit }
  const target = run.targetRps ?? run.stats.targetRps
  const failed = run.slo ? run.slo.objectives.flatMap(o => o.checks).filter(c => c.status !== 'pass').map(c => c.message) : []
  const runEvent: NewRelicEvent = {
    eventType: 'PeakcastRun',
    timestamp,
    ...common,
    ...labelAttributes(run.stats.total),
    durationS: (run.stats.endMs - run.stats.startMs) / 1000,
    endpoints: run.stats.labels.length,
    ...(target !== undefined ? { targetRps: target, achievedRatio: target > 0 ? run.stats.total.throughputRps / target : 0 } : {}),
    ...(run.slo
      ? { verdict: run.slo.verdict, score: run.slo.score, keyFailed: run.slo.keyFailed, failedChecks: cut(failed.join('; ')) }
      : {})
  }
  const endpointEvents = run.stats.labels.map(
    (l): NewRelicEvent => ({ eventType: 'PeakcastEndpoint', timestamp, ...common, endpoint: cut(l.label), ...labelAttributes(l) })
  )
  return [runEvent, ...endpointEvents]
}

function labelAttributes(l: LabelStats): EventAttributes {
  return {
    requests: l.count,
    errors: l.errors,
    errorRate: l.errorRate,
    latencyMinMs: l.min,
    latencyMeanMs: l.mean,
    latencyP50Ms: l.p50,
    latencyP90Ms: l.p90,
    latencyP95Ms: l.p95,
    latencyP99Ms: l.p99,
    latencyMaxMs: l.max,
    throughputRps: l.throughputRps
  }
}

export interface GaugeMetric {
  name: string
  type: 'gauge'
  value: number
  attributes: EventAttributes
}

export interface MetricBatch {
  common: { timestamp: number; attributes: EventAttributes }
  metrics: GaugeMetric[]
}

export function peakcastMetrics(run: RunSummary): GaugeMetric[] {
  const gauges = (l: LabelStats, attributes: EventAttributes): GaugeMetric[] =>
    (
      [
        ['peakcast.latency.p50', l.p50],
        ['peakcast.latency.p90', l.p90],
        ['peakcast.latency.p95', l.p95],
        ['peakcast.latency.p99', l.p99],
        ['peakcast.latency.max', l.max],
        ['peakcast.latency.mean', l.mean],
        ['peakcast.throughput', l.throughputRps],
        ['peakcast.error_rate', l.errorRate],
        ['peakcast.requests', l.count]
      ] as const
    ).map(([name, value]) => ({ name, type: 'gauge', value, attributes }))
  const target = run.targetRps ?? run.stats.targetRps
  const runLevel: GaugeMetric[] = [
    ...(target !== undefined ? [{ name: 'peakcast.target_rps', type: 'gauge' as const, value: target, attributes: { scope: 'total' } }] : []),
    ...(run.slo ? [{ name: 'peakcast.slo.score', type: 'gauge' as const, value: run.slo.score, attributes: { scope: 'total' } }] : [])
  ]
  return [
    ...gauges(run.stats.total, { scope: 'total' }),
    ...runLevel,
    ...run.stats.labels.flatMap(l => gauges(l, { scope: 'endpoint', endpoint: cut(l.label) }))
  ]
}

function metricCommon(run: RunSummary): MetricBatch['common'] {
  return {
    timestamp: run.stats.endMs, // the Metric API takes epoch milliseconds
    attributes: { service: run.service, runId: run.runId, commit: run.commit, ...(run.slo ? { verdict: run.slo.verdict } : {}) }
  }
}

function cut(s: string): string {
  return s.length > MAX_STRING ? s.slice(0, MAX_STRING) : s
}

// ---- sending -----------------------------------------------------------------------------

export interface PublishInput extends RunSummary {
  region: NewRelicRegion
  accountId: string | number
  apiKey: string
  /** license key (default) → header Api-Key; an Insights insert key → X-Insert-Key */
  keyType?: 'license' | 'insert'
  log: Logger
  fetch?: typeof fetch
  /** other hosts (a proxy, a test fake); default from the region */
  endpoints?: Partial<NewRelicEndpoints>
  gzip?: boolean
  /** extra attempts on 429, 5xx and network errors */
  retries?: number
  sleep?: (ms: number) => Promise<void>
}

export interface PublishResult {
  events: number
  metrics: number
  requests: number
}

/** Stay under the documented 1 MB per POST, measured before compression. */
const MAX_BODY_BYTES = 900_000
const MAX_ITEMS_PER_POST = 1000

export async function publishToNewRelic(input: PublishInput): Promise<PublishResult> {
  const { apiKey, log } = input
  if (!apiKey) {
    throw new PeakcastError('no New Relic API key was given', { field: 'newrelic.apiKey' }, 'set the secret holding a license key, e.g. NEW_RELIC_LICENSE_KEY')
  }
  log.secret(apiKey)
  if (!/^\d+$/.test(String(input.accountId))) {
    throw new PeakcastError(`New Relic account id "${input.accountId}" is not a number`, { field: 'newrelic.accountId' }, 'use the numeric account id')
  }
  const urls = { ...newRelicEndpoints(input.region, input.accountId), ...input.endpoints }
  const send = sender(input)

  const events = peakcastEvents(input)
  const eventChunks = chunk(events)
  for (const c of eventChunks) await send('Event API', urls.events, c)

  const metrics = peakcastMetrics(input)
  const common = metricCommon(input)
  const metricChunks = chunk(metrics)
  for (const c of metricChunks) await send('Metric API', urls.metrics, [{ common, metrics: c }])

  log.info(`New Relic: published ${events.length} events and ${metrics.length} metrics for ${input.service} run ${input.runId} (${input.region})`)
  return { events: events.length, metrics: metrics.length, requests: eventChunks.length + metricChunks.length }
}

type Api = 'Event API' | 'Metric API'

function sender(input: PublishInput) {
  const doFetch = input.fetch ?? fetch
  const gzip = input.gzip ?? true
  const retries = input.retries ?? 3
  const sleep = input.sleep ?? ((ms: number) => new Promise<void>(r => setTimeout(r, ms)))
  const keyHeader = input.keyType === 'insert' ? 'X-Insert-Key' : 'Api-Key'
  // whatever a server or a network error echoes back, the key must not travel on in a message
  const redact = (s: string) => (input.apiKey ? s.split(input.apiKey).join('***') : s)

  return async (api: Api, url: string, payload: unknown): Promise<void> => {
    const json = JSON.stringify(payload)
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'peakcast', [keyHeader]: input.apiKey }
    if (gzip) headers['Content-Encoding'] = 'gzip'
    const body = gzip ? gzipSync(json) : json
    const host = new URL(url).host
    for (let attempt = 0; ; attempt++) {
      let res: Response
      try {
        res = await doFetch(url, { method: 'POST', headers, body })
      } catch (err) {
        const why = redact((err as Error).message)
        if (attempt >= retries) throw new PeakcastError(`New Relic ${api} (${host}) could not be reached: ${why}`, {}, 'check the network and the region (US/EU)')
        const wait = backoff(attempt)
        input.log.warn(`New Relic ${api} could not be reached (${why}); retrying in ${(wait / 1000).toFixed(1)} s`)
        await sleep(wait)
        continue
      }
      if (res.ok) {
        await res.arrayBuffer() // drain, so the connection is released
        return
      }
      const text = redact((await res.text().catch(() => '')).replace(/\s+/g, ' ').trim()).slice(0, 300)
      if (retryable(res.status) && attempt < retries) {
        const wait = backoff(attempt, res.headers.get('retry-after'))
        input.log.warn(`New Relic ${api} answered HTTP ${res.status}; retrying in ${(wait / 1000).toFixed(1)} s`)
        await sleep(wait)
        continue
      }
      throw new PeakcastError(`New Relic ${api} (${host}) answered HTTP ${res.status}${text ? `: ${text}` : ''}`, {}, hintFor(res.status))
    }
  }
}

function retryable(status: number): boolean {
  return status === 429 || status === 408 || status >= 500
}

/** 1 s, 2 s, 4 s … capped; a Retry-After in seconds wins when the server sends one. */
function backoff(attempt: number, retryAfter?: string | null): number {
  const seconds = retryAfter ? Number(retryAfter) : NaN
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 60) * 1000
  return Math.min(1000 * 2 ** attempt, 30_000)
}

function hintFor(status: number): string {
  if (status === 401 || status === 403) return 'check the key (a license key for this account, or keyType: insert for an insert key) and the region US/EU'
  if (status === 404) return 'check the account id and the region US/EU'
  if (status === 413) return 'the payload is too large; report this as a bug'
  if (status === 429) return 'New Relic is rate limiting this account; try again later'
  if (status >= 500) return 'New Relic had a problem; the results are still in the report, publish again later'
  return 'New Relic rejected the payload; report this as a bug'
}

/** Splits items so each POST stays under the size and count limits. */
function chunk<T>(items: T[]): T[][] {
  const out: T[][] = []
  let current: T[] = []
  let bytes = 2
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1
    if (current.length > 0 && (bytes + size > MAX_BODY_BYTES || current.length >= MAX_ITEMS_PER_POST)) {
      out.push(current)
      current = []
      bytes = 2
    }
    current.push(item)
    bytes += size
  }
  if (current.length > 0) out.push(current)
  return out
}
