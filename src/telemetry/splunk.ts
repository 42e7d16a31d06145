/**
 * Telemetry from Splunk through the search export endpoint (POST /services/search/jobs/export,
 * output_mode=json), which streams results as newline-delimited JSON without a search job to
 * poll. Lines are {preview, offset, lastrow, result} or {messages: [{type, text}]}; preview
 * rows are partial and skipped; FATAL/ERROR messages fail the fetch.
 *
 * Two result layouts are read:
 *  - timechart (the default): one row per hour, `_time` plus one column per endpoint holding
 *    the request count (a lone `count` column is the service total);
 *  - stats: one row per hour and endpoint with `_time`, `endpoint`, `requests` and optional
 *    `latency_ms`, `p95_ms`, `errors`, e.g. `| bin _time span=1h | stats count as requests,
 *    avg(duration_ms) as latency_ms, perc95(duration_ms) as p95_ms by _time endpoint`.
 */
import type { TelemetrySourceConfig } from '../config/peakcast-config.js'
import { fillTemplate, hourWindow, pickQueries, secretFromEnv, type QueryRef, describeQuery, queryError } from './api-source.js'
import { fetchWithRetry, httpError, httpSettings, redact } from './http-retry.js'
import type { RawPoint, SourceContext } from './series.js'

export type SplunkSourceConfig = Extract<TelemetrySourceConfig, { type: 'splunk' }>

/** {index} is telemetry.index (default main), {service} the service name. */
export const DEFAULT_SPL: Readonly<Record<'requests', string>> = {
  requests: 'search index="{index}" service="{service}" | timechart span=1h limit=0 useother=false usenull=false count by endpoint'
}

interface ExportLine {
  preview?: boolean
  lastrow?: boolean
  result?: Record<string, unknown>
  messages?: { type?: string; text?: string }[]
}

export async function fetchSplunk(cfg: SplunkSourceConfig, ctx: SourceContext): Promise<RawPoint[]> {
  const source = `splunk:${cfg.url}`
  const token = secretFromEnv(ctx, cfg.tokenEnv ?? 'SPLUNK_TOKEN', 'telemetry.tokenEnv', source)
  const queries = pickQueries(DEFAULT_SPL, cfg.queries, source)
  const window = hourWindow(ctx, source)
  const quote = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')
  let spl = fillTemplate(queries.requests, { index: quote(cfg.index ?? 'main'), service: quote(ctx.service) }, 'requests', source).trim()
  // the REST API runs the text as given: a bare filter needs the search command in front
  if (!/^(search\b|\|)/i.test(spl)) spl = `search ${spl}`
  const ref = { source, name: 'requests', language: 'SPL' as const, text: spl }
  const what = describeQuery(ref)
  const secrets = [token]

  const form = new URLSearchParams({
    search: spl,
    output_mode: 'json',
    earliest_time: String(window.from / 1000),
    latest_time: String(window.to / 1000)
  })
  const done = ctx.log.step(`${source}: export search`)
  const res = await fetchWithRetry(
    `${cfg.url.replace(/\/+$/, '')}/services/search/jobs/export`,
    {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'peakcast' },
      body: form.toString()
    },
    { what, log: ctx.log, settings: httpSettings(ctx.env), secrets }
  )
  if (!res.ok) {
    const text = await res.text()
    const fatal = messagesIn(text).filter(m => /^(FATAL|ERROR)$/i.test(m.type ?? ''))
    if (fatal.length > 0 && res.status !== 401 && res.status !== 403) {
      throw queryError(ref, redact(fatal.map(m => m.text).join('; '), secrets))
    }
    throw await httpError(new Response(text, { status: res.status }), {
      what: `${what} (SPL: ${spl})`,
      secrets,
      authHint: `Splunk needs an authentication token with search rights in ${cfg.tokenEnv ?? 'SPLUNK_TOKEN'}; check it and telemetry.url (the management port, usually 8089)`,
      hint: 'check telemetry.url: it must point at the Splunk REST API (management port, usually 8089)'
    })
  }
  const points = parseExport(await res.text(), window, ref, secrets)
  done()
  ctx.log.info(`${source}: ${points.length} hourly rows`)
  return points
}




/** An error body is one JSON object {messages: [...]}; anything else has none. */
function messagesIn(text: string): { type?: string; text?: string }[] {
  try {
    const body = JSON.parse(text) as ExportLine
    return Array.isArray(body.messages) ? body.messages : []
  } catch {
    return []
  }
}

/** Newline-delimited export JSON → points in [from, to). Final rows only; stops at lastrow. */
function parseExport(text: string, window: { from: number; to: number }, ref: QueryRef, secrets: string[]): RawPoint[] {
  const points: RawPoint[] = []
  let results = 0
  let ended = false
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim()
    if (line === '' || ended) continue
    let row: ExportLine
    try {
      row = JSON.parse(line) as ExportLine
    } catch {
      throw queryError(ref, `line ${i + 1} of the export is not JSON: ${redact(line.slice(0, 120), secrets)}`, 'check that telemetry.url is the Splunk REST API')
    }
    const fatal = (row.messages ?? []).filter(m => /^(FATAL|ERROR)$/i.test(m.type ?? ''))
    if (fatal.length > 0) throw queryError(ref, redact(fatal.map(m => `${m.type}: ${m.text}`).join('; '), secrets))
    if (row.preview === true || !row.result) continue
    results++
    points.push(...rowPoints(row.result, window, ref, results))
    if (row.lastrow === true) ended = true
  }
  if (results > 0 && !ended) throw queryError(ref, 'the export stream ended before its last row', 'the connection was cut; try again')
  return points
}

function rowPoints(result: Record<string, unknown>, window: { from: number; to: number }, ref: QueryRef, line: number): RawPoint[] {
  const t = timeOf(result._time, ref, line)
  if (t < window.from || t >= window.to) return []
  if ('requests' in result) {
    const endpoint = typeof result.endpoint === 'string' && result.endpoint !== '' ? result.endpoint : undefined
    const p: RawPoint = { t, requests: num(result.requests), line, ...(endpoint !== undefined ? { endpoint } : {}) }
    const optional: [keyof RawPoint & ('latencyMs' | 'p95Ms' | 'errors'), string][] = [
      ['latencyMs', 'latency_ms'],
      ['p95Ms', 'p95_ms'],
      ['errors', 'errors']
    ]
    for (const [field, column] of optional) if (result[column] !== undefined && result[column] !== '') p[field] = num(result[column])
    return [p]
  }
  const columns = Object.keys(result).filter(k => !k.startsWith('_'))
  if (columns.length === 1 && columns[0] === 'count') return [{ t, requests: num(result.count), line }]
  return columns.sort().map(endpoint => ({ t, endpoint, requests: num(result[endpoint]), line }))
}

/** Splunk writes _time as ISO 8601 with the user's offset; epoch seconds are read too. */
function timeOf(v: unknown, ref: QueryRef, line: number): number {
  const text = String(v ?? '')
  const t = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text)
  if (!Number.isFinite(t)) throw queryError(ref, `result ${line} has no usable _time ("${text}")`, 'keep _time in the results (timechart or bin _time span=1h)')
  return t
}

/** Values arrive as strings; what does not parse becomes NaN for normalize to drop and report. */
function num(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
}
