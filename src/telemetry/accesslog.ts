/**
 * Telemetry from an Apache/nginx *combined* access log: hourly request and 5xx counts per
 * endpoint, plus per-request events for sessionization. Bots are left out (they are not the
 * traffic a load test should reproduce). Visitors are a salted hash of IP + user agent, salt
 * fresh per call and kept in memory only, so no identifier outlives the parse.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { TelemetrySourceConfig } from '../config/peakcast-config.js'
import { PeakcastError } from '../util/errors.js'
import { HOUR_MS, type RawPoint, type SourceContext } from './series.js'

export interface AccessEvent {
  t: number
  /** salted hash, valid within one parse only */
  visitor: string
  endpoint: string
}

export interface AccessLog {
  /** hourly counts per endpoint; hours without any line are explicit zeros */
  points: RawPoint[]
  /** one per non-bot request, in file order */
  events: AccessEvent[]
  skipped: { line: number; reason: string }[]
  /** requests left out because the user agent is a bot, crawler or spider */
  bots: number
}

/** One parsed line; `ua` is empty for the common (non-combined) format. */
export interface LogLine {
  t: number
  ip: string
  method: string
  endpoint: string
  status: number
  ua: string
}

const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"'
const LINE = new RegExp(`^(\\S+) \\S+ \\S+ \\[([^\\]]+)\\] ${QUOTED} (\\d{3}) (\\S+)(?: ${QUOTED} ${QUOTED})?\\s*$`)
const TIME = /^(\d{2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const BOT = /bot|crawl|spider/i

export async function fetchAccessLog(cfg: Extract<TelemetrySourceConfig, { type: 'accesslog' }>, ctx: SourceContext): Promise<RawPoint[]> {
  const log = await parseAccessLog(resolve(ctx.baseDir, cfg.path))
  ctx.log.info(`${cfg.path}: ${log.events.length} requests, ${log.bots} bot requests left out, ${log.skipped.length} lines skipped`)
  for (const s of log.skipped.slice(0, 5)) ctx.log.warn(`${cfg.path}:${s.line}: skipped: ${s.reason}`)
  return log.points
}

export async function parseAccessLog(path: string): Promise<AccessLog> {
  const salt = randomBytes(16)
  const visitorOf = (ip: string, ua: string) => createHash('sha256').update(salt).update(`${ip}\u0000${ua}`).digest('hex').slice(0, 16)
  const counts = new Map<number, Map<string, { requests: number; errors: number }>>()
  const events: AccessEvent[] = []
  const skipped: { line: number; reason: string }[] = []
  let bots = 0
  let parsed = 0
  let line = 0
  const input = createReadStream(path)
  const opened = new Promise<void>((ok, fail) => {
    input.once('open', () => ok())
    input.once('error', fail)
  })
  await opened.catch((err: NodeJS.ErrnoException) => {
    throw new PeakcastError(`cannot read access log (${err.code ?? err.message})`, { file: path }, 'check the path in peakcast.yaml')
  })
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++
    if (!text.trim()) continue
    const r = parseLogLine(text)
    if ('reason' in r) {
      skipped.push({ line, reason: r.reason })
      continue
    }
    parsed++
    if (BOT.test(r.ua)) {
      bots++
      continue
    }
    events.push({ t: r.t, visitor: visitorOf(r.ip, r.ua), endpoint: r.endpoint })
    const hour = Math.floor(r.t / HOUR_MS) * HOUR_MS
    let byEndpoint = counts.get(hour)
    if (!byEndpoint) counts.set(hour, (byEndpoint = new Map()))
    const c = byEndpoint.get(r.endpoint) ?? { requests: 0, errors: 0 }
    c.requests++
    if (r.status >= 500) c.errors++
    byEndpoint.set(r.endpoint, c)
  }
  if (parsed === 0) {
    throw new PeakcastError(
      line === 0 ? 'access log is empty' : 'no line is in Apache combined log format',
      { file: path, line: skipped[0]?.line },
      skipped[0]?.reason ?? 'expected lines like: 1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
    )
  }
  return { points: hourlyPoints(counts), events, skipped, bots }
}

/**
 * Hours without a single line had no traffic (a log records every request), so they become
 * explicit zeros instead of gaps that normalize would fill with invented traffic.
 */
function hourlyPoints(counts: Map<number, Map<string, { requests: number; errors: number }>>): RawPoint[] {
  if (counts.size === 0) return []
  const hours = [...counts.keys()].sort((a, b) => a - b)
  const anyEndpoint = [...new Set([...counts.values()].flatMap(m => [...m.keys()]))].sort()[0]
  const points: RawPoint[] = []
  for (let t = hours[0]; t <= hours[hours.length - 1]; t += HOUR_MS) {
    const byEndpoint = counts.get(t)
    if (!byEndpoint) {
      points.push({ t, endpoint: anyEndpoint, requests: 0, errors: 0 })
      continue
    }
    for (const endpoint of [...byEndpoint.keys()].sort()) {
      const c = byEndpoint.get(endpoint)!
      points.push({ t, endpoint, requests: c.requests, errors: c.errors })
    }
  }
  return points
}

export function parseLogLine(text: string): LogLine | { reason: string } {
  const m = LINE.exec(text)
  if (!m) return { reason: 'not in Apache combined log format' }
  const [, ip, time, request, status, , , ua = ''] = m
  const t = parseLogTime(time)
  if (t === undefined) return { reason: `cannot read time "${time}"` }
  const req = /^([A-Z]+) (\S+)(?: HTTP\/[\d.]+)?$/.exec(request)
  if (!req) return { reason: `request "${request.slice(0, 60)}" is not METHOD PATH PROTOCOL` }
  const path = pathOf(req[2])
  if (path === undefined) return { reason: `request target "${req[2].slice(0, 60)}" is not a path` }
  return { t, ip, method: req[1], endpoint: `${req[1]} ${templatePath(path)}`, status: Number(status), ua }
}

function parseLogTime(s: string): number | undefined {
  const m = TIME.exec(s)
  if (!m) return undefined
  const month = MONTHS.indexOf(m[2].toLowerCase())
  if (month < 0) return undefined
  const local = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))
  const offsetMin = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]))
  return local - offsetMin * 60_000
}

/** The path of a request target: query and fragment stripped; absolute URLs (proxies) reduced to their path. */
function pathOf(target: string): string | undefined {
  const noQuery = target.split(/[?#]/, 1)[0]
  const origin = ORIGIN.exec(noQuery)
  const path = origin ? noQuery.slice(origin[0].length) || '/' : noQuery
  return path.startsWith('/') ? path : undefined
}

const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const HEX_ID = /^(?=.*\d)[0-9a-f]{8,}$/i

/** "/orders/123/items/9f8e7d6c5b" → "/orders/{id}/items/{id}": one endpoint per route, not per record. */
export function templatePath(path: string): string {
  return path
    .split('/')
    .map(seg => (/^\d+$/.test(seg) || UUID.test(seg) || HEX_ID.test(seg) ? '{id}' : seg))
    .join('/')
}
