/**
 * A loopback stand-in for Splunk's search export endpoint (POST /services/search/jobs/export,
 * output_mode=json) over hourly per-endpoint data. It answers the two SPL shapes peakcast
 * documents, in the documented stream format (one JSON object per line):
 *  - `search index="…" service="…" | timechart span=1h … count [by endpoint]` → one row per hour,
 *    one column per endpoint (or `count`);
 *  - `search index="…" service="…" | bin _time span=1h | stats … by _time endpoint` → one row per
 *    hour and endpoint with requests, latency_ms, p95_ms, errors.
 * Values are strings, `_time` is ISO 8601 in the user's zone (+01:00 here), preview rows come
 * first, the last row carries `lastrow: true`; a bad token is answered 401, SPL it cannot read
 * 400 with a FATAL message.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SplunkHour {
  t: number
  endpoint: string
  requests: number
  latencyMs: number
  p95Ms: number
  errors: number
}

export interface SplunkRequest {
  headers: IncomingMessage['headers']
  form: Record<string, string>
}

export interface FakeSplunk {
  url: string
  requests: SplunkRequest[]
  violations: string[]
  /** answer the next request with this status and body */
  failNext(status: number, body: string): void
  /** put a message line (e.g. FATAL) into the next stream, after the first result row */
  messageNext(type: string, text: string): void
  /** end the next stream without its last row */
  truncateNext(): void
  close(): Promise<void>
}

const HOUR = 3_600_000
const OFFSET_MS = HOUR // results are written in +01:00, as a user's time zone would have them

export async function startFakeSplunk(opts: { token: string; index: string; service: string; data: SplunkHour[] }): Promise<FakeSplunk> {
  const requests: SplunkRequest[] = []
  const violations: string[] = []
  const failures: { status: number; body: string }[] = []
  const messages: { type: string; text: string }[] = []
  let truncate = false

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res))
  })

  function handle(req: IncomingMessage, text: string, res: ServerResponse) {
    const failure = failures.shift()
    if (failure) return res.writeHead(failure.status, { 'Content-Type': 'application/json' }).end(failure.body)
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (req.method !== 'POST' || path !== '/services/search/jobs/export') {
      violations.push(`${req.method} ${path}`)
      return res.writeHead(404).end()
    }
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      return res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ messages: [{ type: 'WARN', text: 'call not properly authenticated' }] }))
    }
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) violations.push('body is not form-encoded')
    const form = Object.fromEntries(new URLSearchParams(text))
    requests.push({ headers: req.headers, form })
    if (form.output_mode !== 'json') violations.push(`output_mode is ${form.output_mode}`)
    const from = Number(form.earliest_time) * 1000
    const to = Number(form.latest_time) * 1000
    if (!Number.isFinite(from) || !Number.isFinite(to)) violations.push('earliest_time/latest_time are not epoch seconds')

    const spl = form.search ?? ''
    const parsed = parseSpl(spl)
    if (!parsed) {
      return res
        .writeHead(400, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ messages: [{ type: 'FATAL', text: `Error in 'search' command: Unable to parse the search: ${spl.slice(0, 40)}` }] }))
    }
    const rows = opts.data.filter(h => h.t >= from && h.t < to && parsed.index === opts.index && parsed.service === opts.service)
    const results = parsed.layout === 'stats' ? statsRows(rows) : timechartRows(rows, parsed.byEndpoint)

    res.writeHead(200, { 'Content-Type': 'application/json' })
    const lines: unknown[] = []
    // a partial preview first: its numbers are not final and must be ignored
    if (results.length > 0) lines.push({ preview: true, offset: 0, result: { ...results[0], _time: results[0]._time, partial: '1' } })
    results.forEach((result, i) => {
      const last = i === results.length - 1
      if (last && truncate) return
      lines.push({ preview: false, offset: i, ...(last ? { lastrow: true } : {}), result })
      if (i === 0) for (const m of messages.splice(0)) lines.push({ preview: false, messages: [m] })
    })
    truncate = false
    res.end(lines.map(l => JSON.stringify(l)).join('\n') + '\n')
  }

  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    violations,
    failNext: (status, body) => failures.push({ status, body }),
    messageNext: (type, text) => messages.push({ type, text }),
    truncateNext: () => {
      truncate = true
    },
    close: () => new Promise<void>(resolve => server.close(() => resolve()))
  }
}

function parseSpl(spl: string): { index: string; service: string; layout: 'timechart' | 'stats'; byEndpoint: boolean } | undefined {
  const head = /^search index="([^"]*)" service="([^"]*)" \| (.*)$/.exec(spl.trim())
  if (!head) return undefined
  const [, index, service, rest] = head
  if (/^timechart span=1h\b.*\bcount( by endpoint)?$/.test(rest)) return { index, service, layout: 'timechart', byEndpoint: / by endpoint$/.test(rest) }
  if (/^bin _time span=1h \| stats .* by _time endpoint$/.test(rest)) return { index, service, layout: 'stats', byEndpoint: true }
  return undefined
}

function splunkTime(t: number): string {
  return new Date(t + OFFSET_MS).toISOString().replace('Z', '+01:00')
}

function timechartRows(rows: SplunkHour[], byEndpoint: boolean): Record<string, string>[] {
  const endpoints = [...new Set(rows.map(r => r.endpoint))].sort()
  const hours = [...new Set(rows.map(r => r.t))].sort((a, b) => a - b)
  return hours.map(t => {
    const mine = rows.filter(r => r.t === t)
    const row: Record<string, string> = { _time: splunkTime(t) }
    if (byEndpoint) for (const e of endpoints) row[e] = String(mine.find(r => r.endpoint === e)?.requests ?? 0)
    else row.count = String(mine.reduce((a, r) => a + r.requests, 0))
    row._span = '3600'
    return row
  })
}

function statsRows(rows: SplunkHour[]): Record<string, string>[] {
  return [...rows]
    .sort((a, b) => a.t - b.t || (a.endpoint < b.endpoint ? -1 : 1))
    .map(r => ({
      _time: splunkTime(r.t),
      endpoint: r.endpoint,
      requests: String(r.requests),
      latency_ms: String(r.latencyMs),
      p95_ms: String(r.p95Ms),
      errors: String(r.errors)
    }))
}
