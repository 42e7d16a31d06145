/**
 * Telemetry from Prometheus (or anything serving its HTTP API) through /api/v1/query_range.
 * Facts that shape it:
 *  - a range query answers at most 11,000 points per series: the window is cut into chunks;
 *  - sample values are strings, and may be "NaN", "+Inf" or "-Inf": they are passed on as
 *    numbers, and normalize drops and reports them like any unusable value;
 *  - a query evaluated at t with a [1h] range describes the hour that ends at t, so the point
 *    for the bucket starting at h comes from the evaluation at h + 1h;
 *  - Prometheus measures time in seconds; RawPoint latency is in ms.
 */
import type { TelemetrySourceConfig } from '../config/peakcast-config.js'
import { fillTemplate, hourWindow, pickQueries, secretFromEnv, splitWindow, type QueryRef, describeQuery, queryError } from './api-source.js'
import { fetchWithRetry, httpError, httpSettings, redact, type CallOptions } from './http-retry.js'
import { HOUR_MS, type RawPoint, type SourceContext } from './series.js'

export type PrometheusSourceConfig = Extract<TelemetrySourceConfig, { type: 'prometheus' }>

/** Prometheus refuses a range query with more points per series than this. */
export const MAX_POINTS = 11_000

type Metric = 'requests' | 'latency' | 'p95' | 'errors'

const REQUESTS = 'http_requests_total{service="{service}"}'
const DURATION = 'http_request_duration_seconds'

/** PromQL per metric, for the usual client-library metric names; {service} is the service name. */
export const DEFAULT_PROMQL: Readonly<Record<Metric, string>> = {
  requests: `sum by (endpoint) (increase(${REQUESTS}[1h]))`,
  latency: `sum by (endpoint) (increase(${DURATION}_sum{service="{service}"}[1h])) / sum by (endpoint) (increase(${DURATION}_count{service="{service}"}[1h]))`,
  p95: `histogram_quantile(0.95, sum by (endpoint, le) (increase(${DURATION}_bucket{service="{service}"}[1h])))`,
  errors: `sum by (endpoint) (increase(http_requests_total{service="{service}",status=~"5.."}[1h]))`
}

/** requests and errors are counts per hour; latency and p95 come in seconds. */
const TO_RAW: Record<Metric, (p: RawPoint, v: number) => void> = {
  requests: (p, v) => (p.requests = v),
  latency: (p, v) => (p.latencyMs = v * 1000),
  p95: (p, v) => (p.p95Ms = v * 1000),
  errors: (p, v) => (p.errors = v)
}

interface PromSeries {
  metric: Record<string, string>
  values: [number, string][]
}

interface PromBody {
  status?: 'success' | 'error'
  data?: { resultType?: string; result?: PromSeries[] }
  errorType?: string
  error?: string
  warnings?: string[]
}

export async function fetchPrometheus(cfg: PrometheusSourceConfig, ctx: SourceContext): Promise<RawPoint[]> {
  const source = `prometheus:${cfg.url}`
  const { headers, secrets } = authHeaders(cfg, ctx, source)
  const queries = pickQueries(DEFAULT_PROMQL, cfg.queries, source) as Record<Metric, string>
  const window = hourWindow(ctx, source)
  const chunks = splitWindow(window, HOUR_MS, MAX_POINTS)
  const url = `${cfg.url.replace(/\/+$/, '')}/api/v1/query_range`
  const service = ctx.service.replace(/\\/g, '\\\\').replace(/"/g, '\\"')

  const done = ctx.log.step(`${source}: ${Object.keys(queries).length} PromQL queries × ${chunks.length} range(s)`)
  const points = new Map<string, RawPoint>()
  for (const metric of Object.keys(queries) as Metric[]) {
    const promql = fillTemplate(queries[metric], { service }, metric, source)
    for (const chunk of chunks) {
      const ref = { source, name: metric, language: 'PromQL' as const, text: promql }
      const series = await queryRange(url, headers, ref, chunk, { what: describeQuery(ref), log: ctx.log, settings: httpSettings(ctx.env), secrets })
      mergeSeries(points, metric, series, chunk, ref)
    }
  }
  done()
  ctx.log.info(`${source}: ${points.size} hourly rows`)
  return [...points.values()]
}

/** The Authorization header, and every form of the credentials that must never be printed. */
function authHeaders(cfg: PrometheusSourceConfig, ctx: SourceContext, source: string): { headers: Record<string, string>; secrets: string[] } {
  const auth = cfg.auth
  if (!auth) return { headers: {}, secrets: [] }
  if (auth.type === 'bearer') {
    const token = secretFromEnv(ctx, auth.tokenEnv, 'telemetry.auth.tokenEnv', source)
    return { headers: { Authorization: `Bearer ${token}` }, secrets: [token] }
  }
  const user = secretFromEnv(ctx, auth.userEnv, 'telemetry.auth.userEnv', source)
  const password = secretFromEnv(ctx, auth.passwordEnv, 'telemetry.auth.passwordEnv', source)
  const basic = Buffer.from(`${user}:${password}`).toString('base64')
  ctx.log.secret(basic)
  return { headers: { Authorization: `Basic ${basic}` }, secrets: [basic, password, user] }
}




/** One query_range call: evaluations at the end of each hour of the chunk. */
async function queryRange(
  url: string,
  auth: Record<string, string>,
  ref: QueryRef,
  chunk: { from: number; to: number },
  call: CallOptions
): Promise<PromSeries[]> {
  const form = new URLSearchParams({
    query: ref.text,
    start: String((chunk.from + HOUR_MS) / 1000),
    end: String(chunk.to / 1000),
    step: String(HOUR_MS / 1000)
  })
  const res = await fetchWithRetry(
    url,
    { method: 'POST', headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'peakcast' }, body: form.toString() },
    call
  )
  const text = await res.text()
  let body: PromBody | undefined
  try {
    body = JSON.parse(text) as PromBody
  } catch {
    body = undefined
  }
  if (!res.ok || body?.status !== 'success') {
    if (body?.status === 'error') {
      const auth401 = res.status === 401 || res.status === 403
      throw queryError(ref, `${body.errorType ?? 'error'}: ${redact(body.error ?? '', call.secrets)}`, auth401 ? 'check the credentials' : 'fix the PromQL in peakcast.yaml telemetry.queries (or remove it to use the default)')
    }
    throw await httpError(new Response(text, { status: res.status }), {
      what: `${call.what} (PromQL: ${ref.text})`,
      secrets: call.secrets,
      authHint: 'check telemetry.auth in peakcast.yaml and the environment variables it names',
      hint: 'check telemetry.url: it must point at the Prometheus HTTP API'
    })
  }
  for (const w of body.warnings ?? []) call.log.warn(`${call.what}: Prometheus warns: ${redact(w, call.secrets)}`)
  if (body.data?.resultType !== 'matrix' || !Array.isArray(body.data.result)) {
    throw queryError(ref, `expected a range vector (matrix), got ${body.data?.resultType ?? 'nothing'}`, 'the query must return an instant vector per step, e.g. sum by (endpoint) (increase(x[1h]))')
  }
  return body.data.result
}

/**
 * Folds one query's series into the points. Each series is one endpoint: its `endpoint` label,
 * or its only label, or (no labels) the service total. Two series for one endpoint would be
 * summed wrongly or lost, so that is an error asking for an aggregation.
 */
function mergeSeries(points: Map<string, RawPoint>, metric: Metric, series: PromSeries[], chunk: { from: number; to: number }, ref: QueryRef): void {
  const seen = new Map<string, string>()
  for (const s of series) {
    const endpoint = endpointOf(s.metric, ref)
    const key = endpoint ?? ''
    const labels = JSON.stringify(s.metric)
    if (seen.has(key)) {
      throw queryError(ref, `two series for endpoint "${key}": ${seen.get(key)} and ${labels}`, 'aggregate to one series per endpoint, e.g. sum by (endpoint) (...)')
    }
    seen.set(key, labels)
    for (const [ts, value] of s.values) {
      const t = Math.round(ts * 1000) - HOUR_MS
      if (t < chunk.from || t >= chunk.to) continue
      const id = `${t}\u0000${key}`
      let p = points.get(id)
      if (!p) {
        // only the requests query creates rows; the others describe them
        if (metric !== 'requests') continue
        p = { t, requests: 0, ...(endpoint !== undefined ? { endpoint } : {}) }
        points.set(id, p)
      }
      TO_RAW[metric](p, sampleValue(value))
    }
  }
}

function endpointOf(labels: Record<string, string>, ref: QueryRef): string | undefined {
  if (labels.endpoint !== undefined) return labels.endpoint
  const names = Object.keys(labels).filter(n => n !== '__name__')
  if (names.length === 0) return undefined
  if (names.length === 1) return labels[names[0]]
  throw queryError(ref, `a series has labels ${names.join(', ')} and no "endpoint" label`, 'aggregate with sum by (endpoint) (...), or label_replace the endpoint label')
}

/** Prometheus writes special values as "NaN", "+Inf", "-Inf". */
export function sampleValue(text: string): number {
  if (text === '+Inf') return Infinity
  if (text === '-Inf') return -Infinity
  return Number(text)
}
