/**
 * Telemetry from New Relic through NerdGraph (POST /graphql, header API-Key) running NRQL.
 * Facts that shape it:
 *  - a TIMESERIES query returns at most 366 buckets: the window is cut into ≤ 366-hour chunks;
 *  - FACET returns 10 rows unless LIMIT says otherwise: every query gets LIMIT {limit} (MAX);
 *  - errors come back with HTTP 200 in an `errors` array;
 *  - long queries run asynchronously (`async: true`): when one does not finish within the
 *    first answer, NerdGraph returns a queryId to poll with nrqlQueryProgress;
 *  - Transaction `duration` is in seconds; RawPoint latency is in ms.
 */
import type { TelemetrySourceConfig } from '../config/peakcast-config.js'
import { fillTemplate, hourWindow, pickQueries, requirePlaceholders, secretFromEnv, splitWindow, type QueryRef, describeQuery, queryError } from './api-source.js'
import { fetchWithRetry, httpError, httpSettings, redact, type CallOptions } from './http-retry.js'
import { HOUR_MS, type RawPoint, type SourceContext } from './series.js'

export type NewRelicSourceConfig = Extract<TelemetrySourceConfig, { type: 'newrelic' }>

export const NERDGRAPH_URLS = { US: 'https://api.newrelic.com/graphql', EU: 'https://api.eu.newrelic.com/graphql' } as const

/** NerdGraph's limit on TIMESERIES buckets per query. */
export const MAX_BUCKETS = 366

const FROM_TRANSACTIONS = "FROM Transaction WHERE appName = '{appName}' FACET name LIMIT {limit} TIMESERIES 1 hour SINCE {from} UNTIL {to}"

/** One NRQL query per metric; each returns one value per (hour, facet) row. */
export const DEFAULT_NRQL: Readonly<Record<Metric, string>> = {
  requests: `SELECT count(*) ${FROM_TRANSACTIONS}`,
  latency: `SELECT average(duration) ${FROM_TRANSACTIONS}`,
  p95: `SELECT percentile(duration, 95) ${FROM_TRANSACTIONS}`,
  errors: `SELECT filter(count(*), WHERE error IS true) ${FROM_TRANSACTIONS}`
}

type Metric = 'requests' | 'latency' | 'p95' | 'errors'

/** requests and errors are counts per hour; latency and p95 are seconds, as New Relic stores duration. */
const TO_RAW: Record<Metric, (p: RawPoint, v: number) => void> = {
  requests: (p, v) => (p.requests = v),
  latency: (p, v) => (p.latencyMs = v * 1000),
  p95: (p, v) => (p.p95Ms = v * 1000),
  errors: (p, v) => (p.errors = v)
}

const NRQL_QUERY = `query PeakcastNrql($accountId: Int!, $nrql: Nrql!) {
  actor { account(id: $accountId) { nrql(query: $nrql, async: true) { results queryProgress { queryId completed retryAfter retryDeadline resultExpiration } } } }
}`

const NRQL_PROGRESS = `query PeakcastNrqlProgress($accountId: Int!, $queryId: ID!) {
  actor { account(id: $accountId) { nrqlQueryProgress(queryId: $queryId) { results queryProgress { queryId completed retryAfter retryDeadline resultExpiration } } } }
}`

type NrqlRow = Record<string, unknown>

interface NrqlAnswer {
  results?: NrqlRow[] | null
  queryProgress?: { queryId?: string; completed?: boolean; retryAfter?: number; retryDeadline?: number } | null
}

interface GraphQlBody {
  data?: { actor?: { account?: { nrql?: NrqlAnswer | null; nrqlQueryProgress?: NrqlAnswer | null } | null } | null } | null
  errors?: { message?: string; extensions?: { errorClass?: string } }[]
}

export async function fetchNewRelic(cfg: NewRelicSourceConfig, ctx: SourceContext): Promise<RawPoint[]> {
  const source = `newrelic:${cfg.appName}`
  const apiKey = secretFromEnv(ctx, cfg.apiKeyEnv ?? 'NEW_RELIC_API_KEY', 'telemetry.apiKeyEnv', source)
  const url = ctx.env.PEAKCAST_NERDGRAPH_URL || NERDGRAPH_URLS[cfg.region ?? 'US']
  const queries = pickQueries(DEFAULT_NRQL, cfg.queries, source) as Record<Metric, string>
  for (const [name, q] of Object.entries(queries)) requirePlaceholders(q, ['from', 'to'], name, source)
  const window = hourWindow(ctx, source)
  const chunks = splitWindow(window, HOUR_MS, MAX_BUCKETS)

  const client: NerdGraphClient = { url, apiKey, accountId: cfg.accountId, ctx, source }
  const done = ctx.log.step(`${source}: ${Object.keys(queries).length} NRQL queries × ${chunks.length} window(s) from ${url}`)
  const points = new Map<string, RawPoint>()
  for (const metric of Object.keys(queries) as Metric[]) {
    for (const chunk of chunks) {
      const nrql = fillTemplate(queries[metric], nrqlValues(cfg, chunk), metric, source)
      const ref = { source, name: metric, language: 'NRQL' as const, text: nrql }
      mergeRows(points, metric, await runNrql(client, ref), chunk, ref)
    }
  }
  done()
  ctx.log.info(`${source}: ${points.size} hourly rows`)
  return [...points.values()]
}

function nrqlValues(cfg: NewRelicSourceConfig, chunk: { from: number; to: number }): Record<string, string> {
  return {
    // NRQL string literals escape a quote with a backslash
    appName: cfg.appName.replace(/\\/g, '\\\\').replace(/'/g, "\\'"),
    accountId: String(cfg.accountId),
    limit: 'MAX',
    // epoch milliseconds: NRQL reads them as absolute UTC times
    from: String(chunk.from),
    to: String(chunk.to)
  }
}

interface NerdGraphClient {
  url: string
  apiKey: string
  accountId: number
  ctx: SourceContext
  source: string
}

/** Runs one NRQL query, following the async form until it completes. */
async function runNrql(client: NerdGraphClient, ref: QueryRef): Promise<NrqlRow[]> {
  let answer = await graphql(client, ref, NRQL_QUERY, { accountId: client.accountId, nrql: ref.text }, 'nrql')
  const started = Date.now()
  while (answer.queryProgress && answer.queryProgress.completed === false) {
    const p = answer.queryProgress
    const deadline = p.retryDeadline ?? started + 10 * 60_000
    if (!p.queryId) throw queryError(ref, 'an unfinished async query came back without a queryId')
    if (Date.now() > deadline) throw queryError(ref, 'the async query did not finish before its retry deadline', 'narrow the query or try again later')
    await new Promise(r => setTimeout(r, Math.min(Math.max(p.retryAfter ?? 1, 0), 30) * 1000))
    answer = await graphql(client, ref, NRQL_PROGRESS, { accountId: client.accountId, queryId: p.queryId }, 'nrqlQueryProgress')
  }
  if (!Array.isArray(answer.results)) throw queryError(ref, 'the answer has no results')
  return answer.results
}

async function graphql(
  client: NerdGraphClient,
  ref: QueryRef,
  query: string,
  variables: Record<string, unknown>,
  field: 'nrql' | 'nrqlQueryProgress'
): Promise<NrqlAnswer> {
  const what = describeQuery(ref)
  const call: CallOptions = { what, log: client.ctx.log, settings: httpSettings(client.ctx.env), secrets: [client.apiKey] }
  const res = await fetchWithRetry(
    client.url,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'API-Key': client.apiKey, 'User-Agent': 'peakcast' },
      body: JSON.stringify({ query, variables })
    },
    call
  )
  if (!res.ok) {
    throw await httpError(res, {
      what,
      secrets: call.secrets,
      authHint: 'NerdGraph needs a User key (NRAK-…) with access to the account; check the key, accountId and region US/EU'
    })
  }
  let body: GraphQlBody
  try {
    body = (await res.json()) as GraphQlBody
  } catch {
    throw queryError(ref, 'NerdGraph answered with text that is not JSON')
  }
  if (body.errors && body.errors.length > 0) {
    const messages = body.errors.map(e => redact(e.message ?? 'unknown error', call.secrets))
    const auth = body.errors.some(e => /UNAUTHORIZED|FORBIDDEN|ACCESS_DENIED/i.test(e.extensions?.errorClass ?? ''))
    throw queryError(
      ref,
      messages.join('; '),
      auth ? 'check the API key and that it can query this accountId' : 'fix the NRQL in peakcast.yaml telemetry.queries (or remove it to use the default)'
    )
  }
  const answer = body.data?.actor?.account?.[field]
  if (!answer) throw queryError(ref, `the answer has no data.actor.account.${field}`, 'check the accountId')
  return answer
}




/**
 * Folds one query's TIMESERIES rows into the points: a row names its hour (beginTimeSeconds)
 * and, with FACET, its endpoint (facet). Rows outside the chunk are left to the chunk they
 * belong to, so adjacent chunks never double an hour.
 */
function mergeRows(
  points: Map<string, RawPoint>,
  metric: Metric,
  rows: NrqlRow[],
  chunk: { from: number; to: number },
  ref: QueryRef
): void {
  for (const row of rows) {
    if (typeof row.beginTimeSeconds !== 'number' || typeof row.endTimeSeconds !== 'number') {
      throw queryError(ref, 'rows have no beginTimeSeconds: the query is not a TIMESERIES query', 'end it with TIMESERIES 1 hour SINCE {from} UNTIL {to}')
    }
    const stepS = row.endTimeSeconds - row.beginTimeSeconds
    if (stepS !== HOUR_MS / 1000) {
      throw queryError(ref, `buckets are ${stepS} s long`, 'use TIMESERIES 1 hour')
    }
    const t = row.beginTimeSeconds * 1000
    if (t < chunk.from || t >= chunk.to) continue
    const endpoint = facetOf(row)
    const value = valueOf(row, endpoint, ref)
    const key = `${t}\u0000${endpoint ?? ''}`
    let p = points.get(key)
    if (!p) {
      // only the requests query creates rows; the others describe them
      if (metric !== 'requests') continue
      p = { t, requests: 0, ...(endpoint !== undefined ? { endpoint } : {}) }
      points.set(key, p)
    }
    if (value !== undefined) TO_RAW[metric](p, value)
  }
}

/** FACET on one attribute gives a string; on several, an array (joined: "GET /cart"). */
function facetOf(row: NrqlRow): string | undefined {
  const f = row.facet
  if (f === undefined) return undefined
  if (Array.isArray(f)) return f.map(x => String(x)).join(' ')
  return String(f)
}

const META = new Set(['beginTimeSeconds', 'endTimeSeconds', 'facet'])

/**
 * The one aggregate a row carries: count → number, average with no data → null,
 * percentile → {"95": number}. The facet attribute repeats the facet as a string and is skipped.
 */
function valueOf(row: NrqlRow, facet: string | undefined, ref: QueryRef): number | undefined {
  const values: [string, number | undefined][] = []
  for (const [k, v] of Object.entries(row)) {
    if (META.has(k) || typeof v === 'string' || typeof v === 'boolean' || Array.isArray(v)) continue
    if (facet !== undefined && String(v) === facet) continue
    if (v === null) values.push([k, undefined])
    else if (typeof v === 'number') values.push([k, v])
    else if (typeof v === 'object') {
      const inner = Object.values(v as Record<string, unknown>)
      if (inner.length === 1 && (typeof inner[0] === 'number' || inner[0] === null)) values.push([k, (inner[0] as number | null) ?? undefined])
      else values.push([k, NaN])
    }
  }
  if (values.length !== 1) {
    throw queryError(ref, `rows carry ${values.length} values (${values.map(v => v[0]).join(', ') || 'none'})`, 'select exactly one aggregate per query')
  }
  return values[0][1]
}
