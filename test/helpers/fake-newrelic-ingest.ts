/**
 * A loopback stand-in for New Relic's Event API and Metric API. It checks what the docs
 * require (paths, headers, gzip, payload shapes, attribute limits, timestamp window) and
 * answers like the real services: Event API 200 {success, uuid}, Metric API 202 {requestId}.
 * Anything off the contract is answered 400 and listed in `violations`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync, inflateSync } from 'node:zlib'

export interface IngestRequest {
  api: 'events' | 'metrics'
  accountId?: string
  headers: IncomingMessage['headers']
  /** the decoded JSON body */
  body: unknown
}

export interface FakeNewRelicIngest {
  /** http://127.0.0.1:<port> */
  url: string
  requests: IngestRequest[]
  violations: string[]
  /** the https URLs the code meant to reach, in order (see `fetch`) */
  targets: string[]
  /** answer the next `times` requests with `status` (and optional body / headers) */
  failNext(status: number, times?: number, body?: string, headers?: Record<string, string>): void
  /** a fetch that sends any URL to this fake, keeping its path, after recording it in `targets` */
  fetch: typeof fetch
  close(): Promise<void>
}

const HOUR_MS = 3_600_000
const MAX_PAYLOAD = 1_000_000
const EVENT_TYPE = /^[a-zA-Z0-9:_ ]+$/
const METRIC_ATTRIBUTE = /^[a-zA-Z0-9:._]+$/

export async function startFakeNewRelicIngest(opts: { expectedKey?: string } = {}): Promise<FakeNewRelicIngest> {
  const requests: IngestRequest[] = []
  const violations: string[] = []
  const targets: string[] = []
  const failures: { status: number; body: string; headers: Record<string, string> }[] = []

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(req, Buffer.concat(chunks), res))
  })

  function reject(res: ServerResponse, status: number, problem: string) {
    violations.push(problem)
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: problem }))
  }

  function handle(req: IncomingMessage, raw: Buffer, res: ServerResponse) {
    const failure = failures.shift()
    if (failure) {
      res.writeHead(failure.status, failure.headers).end(failure.body)
      return
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const eventsPath = /^\/v1\/accounts\/(\d+)\/events$/.exec(path)
    const api = eventsPath ? 'events' : path === '/metric/v1' ? 'metrics' : undefined
    if (!api) return reject(res, 404, `unknown path ${path}`)
    if (req.method !== 'POST') return reject(res, 405, `${path} takes POST, got ${req.method}`)
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return reject(res, 400, `Content-Type must be application/json, got ${req.headers['content-type']}`)
    }
    const key = req.headers['api-key'] ?? req.headers['x-insert-key']
    if (typeof key !== 'string' || key === '') return reject(res, 403, 'no Api-Key or X-Insert-Key header')
    if (opts.expectedKey !== undefined && key !== opts.expectedKey) return reject(res, 403, 'wrong key')
    if (raw.length > MAX_PAYLOAD) return reject(res, 413, `payload of ${raw.length} bytes exceeds 1 MB`)

    const enc = req.headers['content-encoding']
    if (enc !== undefined && enc !== 'gzip' && enc !== 'deflate') return reject(res, 415, `unsupported Content-Encoding ${enc}`)
    let text: string
    try {
      text = (enc === 'gzip' ? gunzipSync(raw) : enc === 'deflate' ? inflateSync(raw) : raw).toString('utf8')
    } catch {
      return reject(res, 400, 'body does not decode with its Content-Encoding')
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return reject(res, 400, 'body is not JSON')
    }
    const problem = api === 'events' ? eventsProblem(body) : metricsProblem(body)
    if (problem) return reject(res, 400, `${api}: ${problem}`)
    requests.push({ api, ...(eventsPath ? { accountId: eventsPath[1] } : {}), headers: req.headers, body })
    if (api === 'events') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ success: true, uuid: `fake-${requests.length}` }))
    } else {
      res.writeHead(202, { 'Content-Type': 'application/json' }).end(JSON.stringify({ requestId: `fake-${requests.length}` }))
    }
  }

  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const fakeFetch: typeof fetch = (input, init) => {
    const target = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    targets.push(target)
    const u = new URL(target)
    return fetch(`${url}${u.pathname}${u.search}`, init)
  }

  return {
    url,
    requests,
    violations,
    targets,
    failNext(status, times = 1, body = '', headers = {}) {
      for (let i = 0; i < times; i++) failures.push({ status, body, headers })
    },
    fetch: fakeFetch,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close(err => (err ? reject(err) : resolve()))
      })
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function timestampProblem(ts: unknown, unit: 'ms' | 's-or-ms'): string | undefined {
  if (typeof ts !== 'number' || !Number.isInteger(ts)) return `timestamp ${JSON.stringify(ts)} is not an integer`
  // the Event API takes seconds or milliseconds; the Metric API milliseconds
  const ms = unit === 's-or-ms' && ts < 1e11 ? ts * 1000 : ts
  const now = Date.now()
  if (ms < now - 48 * HOUR_MS || ms > now + 24 * HOUR_MS) return `timestamp ${ts} is outside 48 h ago .. 24 h ahead (New Relic drops it)`
  return undefined
}

function attributeProblem(key: string, value: unknown): string | undefined {
  if (key.length > 255) return `attribute name longer than 255: ${key.slice(0, 40)}…`
  if (typeof value === 'string') return value.length > 4096 ? `attribute ${key} longer than 4096 characters` : undefined
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `attribute ${key} is not a finite number`
  if (typeof value === 'boolean') return undefined
  return `attribute ${key} is ${Array.isArray(value) ? 'an array' : typeof value}: only strings, numbers and booleans are stored`
}

function eventsProblem(body: unknown): string | undefined {
  if (!Array.isArray(body) || body.length === 0) return 'expected a non-empty JSON array of events'
  for (const [i, e] of body.entries()) {
    if (!isObject(e)) return `event ${i} is not an object`
    if (typeof e.eventType !== 'string' || !EVENT_TYPE.test(e.eventType) || e.eventType.length > 255) {
      return `event ${i} eventType ${JSON.stringify(e.eventType)} must match [a-zA-Z0-9:_ ]+`
    }
    if (Object.keys(e).length > 255) return `event ${i} has more than 255 attributes`
    if (e.timestamp !== undefined) {
      const p = timestampProblem(e.timestamp, 's-or-ms')
      if (p) return `event ${i} ${p}`
    }
    for (const [k, v] of Object.entries(e)) {
      const p = attributeProblem(k, v)
      if (p) return `event ${i} ${p}`
    }
  }
  return undefined
}

function metricsProblem(body: unknown): string | undefined {
  if (!Array.isArray(body) || body.length === 0) return 'expected a non-empty JSON array of metric batches'
  for (const [b, batch] of body.entries()) {
    if (!isObject(batch) || !Array.isArray(batch.metrics) || batch.metrics.length === 0) return `batch ${b} needs a non-empty metrics array`
    const common = batch.common
    if (common !== undefined) {
      if (!isObject(common)) return `batch ${b} common is not an object`
      if (common.timestamp !== undefined) {
        const p = timestampProblem(common.timestamp, 'ms')
        if (p) return `batch ${b} common ${p}`
      }
      if (common.attributes !== undefined && !isObject(common.attributes)) return `batch ${b} common.attributes is not an object`
    }
    const commonAttrs = isObject(common) && isObject(common.attributes) ? common.attributes : {}
    for (const [i, m] of batch.metrics.entries()) {
      const at = `batch ${b} metric ${i}`
      if (!isObject(m) || typeof m.name !== 'string' || m.name === '' || m.name.length > 255) return `${at} needs a name`
      if (!['gauge', 'count', 'summary'].includes(String(m.type ?? 'gauge'))) return `${at} type ${JSON.stringify(m.type)} is unknown`
      if (m.type === 'summary') {
        if (!isObject(m.value)) return `${at} summary value must be {count,sum,min,max}`
      } else if (typeof m.value !== 'number' || !Number.isFinite(m.value)) {
        return `${at} value must be a finite number`
      }
      if ((m.type === 'count' || m.type === 'summary') && m['interval.ms'] === undefined && !(isObject(common) && common['interval.ms'] !== undefined)) {
        return `${at} ${m.type} needs interval.ms`
      }
      if (m.timestamp !== undefined) {
        const p = timestampProblem(m.timestamp, 'ms')
        if (p) return `${at} ${p}`
      }
      const attrs = { ...commonAttrs, ...(isObject(m.attributes) ? m.attributes : {}) }
      if (Object.keys(attrs).length > 150) return `${at} has more than 150 attributes`
      for (const [k, v] of Object.entries(attrs)) {
        if (!METRIC_ATTRIBUTE.test(k)) return `${at} attribute name ${JSON.stringify(k)} has characters outside [a-zA-Z0-9:._]`
        const p = attributeProblem(k, v)
        if (p) return `${at} ${p}`
      }
    }
  }
  return undefined
}
