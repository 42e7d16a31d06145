/**
 * Raw points → regular UTC series. Every source (files, access logs, New Relic, Prometheus,
 * Splunk) ends here, so every repair rule lives in this one file and is reported the same way.
 */
import { PeakcastError } from '../util/errors.js'
import { HOUR_MS, type Metrics, type RawPoint, type RepairReport, type Series } from './series.js'

const DAY_MS = 24 * HOUR_MS
const WEEK_MS = 7 * DAY_MS
/** ~11 years of hourly buckets: beyond this the timestamps are almost surely in the wrong unit */
const MAX_BUCKETS = 100_000

export interface NormalizeOptions {
  service: string
  /** names the input in errors and in the report (a file path, or e.g. "newrelic") */
  source: string
  stepMs?: number
  minSpanMs?: number
}

type OptionalField = 'latencyMs' | 'p95Ms' | 'errors'
const OPTIONAL_FIELDS: OptionalField[] = ['latencyMs', 'p95Ms', 'errors']

/** One (bucket, endpoint) cell while points are being folded into it. */
interface Cell {
  requests: number
  latencyWeighted: number
  latencyWeight: number
  p95: number | null
  errors: number
}

/** Dense per-key metrics; null marks a bucket with no data at all (a gap) until it is filled. */
interface Track {
  requests: (number | null)[]
  latencyMs: (number | null)[]
  p95Ms: (number | null)[]
  errors: (number | null)[]
}

export function normalize(points: RawPoint[], opts: NormalizeOptions): { series: Series; report: RepairReport } {
  const stepMs = opts.stepMs ?? HOUR_MS
  const minSpanMs = opts.minSpanMs ?? 14 * DAY_MS
  if (!Number.isInteger(stepMs) || stepMs <= 0) throw new Error(`normalize: stepMs must be a positive integer, got ${stepMs}`)
  const report: RepairReport = {
    source: opts.source,
    rows: points.length,
    gapsFilled: 0,
    duplicatesMerged: 0,
    outOfOrder: 0,
    dropped: [],
    notes: []
  }

  const valid = validPoints(points, report)
  if (valid.length === 0) {
    throw new PeakcastError('no data: no usable telemetry rows', { file: opts.source }, 'check the source path, query or time window')
  }
  checkEndpointsConsistent(valid, opts.source)
  const has = {
    latencyMs: valid.some(p => p.latencyMs !== undefined),
    p95Ms: valid.some(p => p.p95Ms !== undefined),
    errors: valid.some(p => p.errors !== undefined)
  }

  for (let i = 1; i < valid.length; i++) if (valid[i].t < valid[i - 1].t) report.outOfOrder++

  // Same timestamp and endpoint twice is one observation reported twice: the later row wins.
  const unique = new Map<string, RawPoint>()
  for (const p of valid) unique.set(`${p.t}\u0000${p.endpoint ?? ''}`, p)
  report.duplicatesMerged = valid.length - unique.size
  const sorted = [...unique.values()].sort((a, b) => a.t - b.t || (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0))

  const first = Math.floor(sorted[0].t / stepMs)
  const last = Math.floor(sorted[sorted.length - 1].t / stepMs)
  const n = last - first + 1
  if (n > MAX_BUCKETS) {
    throw new PeakcastError(
      `telemetry spans ${describeSpan(n * stepMs)} (${n} buckets of ${stepMs / 60_000} min)`,
      { file: opts.source },
      'check the timestamp unit (epoch seconds vs milliseconds) and remove stray far-away rows'
    )
  }
  if (n * stepMs < minSpanMs) {
    throw new PeakcastError(
      `telemetry spans only ${describeSpan(n * stepMs)}; at least ${describeSpan(minSpanMs)} are needed`,
      { file: opts.source },
      'export a longer window of history'
    )
  }

  const cells = foldIntoCells(sorted, first, stepMs)
  const present = new Array<boolean>(n).fill(false)
  for (const [bucket] of cells) present[bucket] = true

  const keys = [...new Set(sorted.map(keyOf))].sort()
  const tracks = new Map<string, Track>(keys.map(k => [k, emptyTrack(n)]))
  for (const [bucket, byKey] of cells) {
    for (const k of keys) {
      const c = byKey.get(k)
      const t = tracks.get(k)!
      t.requests[bucket] = c?.requests ?? 0
      t.latencyMs[bucket] = c && c.latencyWeight > 0 ? c.latencyWeighted / c.latencyWeight : null
      t.p95Ms[bucket] = c?.p95 ?? null
      t.errors[bucket] = c?.errors ?? 0
    }
  }

  fillGaps(present, tracks, stepMs, first * stepMs, report)

  const endpointMode = keys[0] !== ''
  const metricsByKey = new Map(keys.map(k => [k, toMetrics(tracks.get(k)!, has)]))
  const endpoints: Record<string, Metrics> = {}
  if (endpointMode) for (const k of keys) endpoints[k] = metricsByKey.get(k)!
  const total = endpointMode ? sumEndpoints(keys.map(k => metricsByKey.get(k)!), n, has) : metricsByKey.get('')!

  return { series: { service: opts.service, start: first * stepMs, stepMs, total, endpoints }, report }
}

function keyOf(p: RawPoint): string {
  return p.endpoint ?? ''
}

/** Drops rows whose request count is unusable; ignores unusable optional fields but says so. */
function validPoints(points: RawPoint[], report: RepairReport): RawPoint[] {
  const ignored: Record<OptionalField, number[]> = { latencyMs: [], p95Ms: [], errors: [] }
  const out: RawPoint[] = []
  points.forEach((p, i) => {
    const line = p.line ?? i + 1
    const requestsProblem = problemWith(p.requests)
    if (!Number.isFinite(p.t)) {
      report.dropped.push({ line, reason: 'timestamp is not a finite number' })
    } else if (requestsProblem) {
      report.dropped.push({ line, reason: `requests ${requestsProblem}` })
    } else {
      const clean: RawPoint = { t: p.t, requests: p.requests, line }
      if (p.endpoint !== undefined && p.endpoint !== '') clean.endpoint = p.endpoint
      for (const f of OPTIONAL_FIELDS) {
        const v = p[f]
        if (v === undefined) continue
        if (problemWith(v)) ignored[f].push(line)
        else clean[f] = v
      }
      out.push(clean)
    }
  })
  const names: Record<OptionalField, string> = { latencyMs: 'latency_ms', p95Ms: 'p95_ms', errors: 'errors' }
  for (const f of OPTIONAL_FIELDS) {
    const lines = ignored[f]
    if (lines.length === 0) continue
    const shown = lines.slice(0, 5).join(', ') + (lines.length > 5 ? ', …' : '')
    report.notes.push(`${lines.length} row(s) had an unusable ${names[f]} (NaN, infinite or negative), value ignored: line(s) ${shown}`)
  }
  return out
}

function problemWith(v: unknown): string | undefined {
  if (typeof v !== 'number' || Number.isNaN(v)) return 'is not a number'
  if (!Number.isFinite(v)) return 'is infinite'
  if (v < 0) return `is negative (${v})`
  return undefined
}

function checkEndpointsConsistent(points: RawPoint[], source: string): void {
  const withEndpoint = points.find(p => p.endpoint !== undefined)
  const without = points.find(p => p.endpoint === undefined)
  if (withEndpoint && without) {
    throw new PeakcastError(
      `some rows name an endpoint (line ${withEndpoint.line}) and some do not`,
      { file: source, line: without.line, field: 'endpoint' },
      'give every row an endpoint, or none (service total only)'
    )
  }
}

/** Points of one bucket with different timestamps add up; latency is weighted by requests. */
function foldIntoCells(sorted: RawPoint[], first: number, stepMs: number): Map<number, Map<string, Cell>> {
  const cells = new Map<number, Map<string, Cell>>()
  for (const p of sorted) {
    const bucket = Math.floor(p.t / stepMs) - first
    let byKey = cells.get(bucket)
    if (!byKey) cells.set(bucket, (byKey = new Map()))
    const k = keyOf(p)
    let c = byKey.get(k)
    if (!c) byKey.set(k, (c = { requests: 0, latencyWeighted: 0, latencyWeight: 0, p95: null, errors: 0 }))
    c.requests += p.requests
    if (p.latencyMs !== undefined && p.requests > 0) {
      c.latencyWeighted += p.latencyMs * p.requests
      c.latencyWeight += p.requests
    }
    if (p.p95Ms !== undefined) c.p95 = Math.max(c.p95 ?? 0, p.p95Ms)
    c.errors += p.errors ?? 0
  }
  return cells
}

function emptyTrack(n: number): Track {
  const nulls = () => new Array<number | null>(n).fill(null)
  return { requests: nulls(), latencyMs: nulls(), p95Ms: nulls(), errors: nulls() }
}

/**
 * Buckets with no data at all are gaps. Weekly seasonality dominates traffic, so a gap takes the
 * same bucket one week earlier when that bucket holds real data; otherwise it is interpolated
 * between the real buckets on either side (gaps are always internal: the series starts and ends
 * with data).
 */
function fillGaps(present: boolean[], tracks: Map<string, Track>, stepMs: number, start: number, report: RepairReport): void {
  const weekSteps = WEEK_MS % stepMs === 0 ? WEEK_MS / stepMs : undefined
  const fields = ['requests', 'latencyMs', 'p95Ms', 'errors'] as const
  let i = 0
  while (i < present.length) {
    if (present[i]) {
      i++
      continue
    }
    const a = i
    while (!present[i]) i++
    const b = i - 1
    const len = b - a + 1
    report.gapsFilled += len
    let fromLastWeek = 0
    for (let j = a; j <= b; j++) {
      const src = weekSteps !== undefined ? j - weekSteps : -1
      const useWeek = src >= 0 && present[src]
      if (useWeek) fromLastWeek++
      for (const track of tracks.values()) {
        for (const f of fields) {
          const arr = track[f]
          arr[j] = useWeek ? arr[src] : interpolate(arr[a - 1], arr[b + 1], (j - a + 1) / (len + 1))
        }
      }
    }
    if (len * stepMs > DAY_MS) {
      const how =
        fromLastWeek === len
          ? 'the same hours one week earlier'
          : fromLastWeek === 0
            ? 'linear interpolation'
            : 'last week where available, else interpolation'
      report.notes.push(
        `gap of ${describeSpan(len * stepMs)} from ${iso(start + a * stepMs)} to ${iso(start + (b + 1) * stepMs)} filled with ${how}`
      )
    }
  }
}

function interpolate(before: number | null, after: number | null, frac: number): number | null {
  if (before === null) return after
  if (after === null) return before
  return before + (after - before) * frac
}

function toMetrics(track: Track, has: Record<OptionalField, boolean>): Metrics {
  const m: Metrics = { requests: track.requests.map(v => v ?? 0) }
  if (has.latencyMs) m.latencyMs = track.latencyMs
  if (has.p95Ms) m.p95Ms = track.p95Ms
  if (has.errors) m.errors = track.errors.map(v => v ?? 0)
  return m
}

/**
 * The service total of an endpoint series. Its p95 is the worst endpoint's p95: the exact
 * percentile of the merged requests is not recoverable from per-endpoint percentiles.
 */
function sumEndpoints(list: Metrics[], n: number, has: Record<OptionalField, boolean>): Metrics {
  const total: Metrics = { requests: new Array<number>(n).fill(0) }
  if (has.latencyMs) total.latencyMs = new Array<number | null>(n).fill(null)
  if (has.p95Ms) total.p95Ms = new Array<number | null>(n).fill(null)
  if (has.errors) total.errors = new Array<number>(n).fill(0)
  for (let i = 0; i < n; i++) {
    let weighted = 0
    let weight = 0
    for (const m of list) {
      const r = m.requests[i]
      total.requests[i] += r
      const lat = m.latencyMs?.[i]
      if (lat !== undefined && lat !== null && r > 0) {
        weighted += lat * r
        weight += r
      }
      const p95 = m.p95Ms?.[i]
      if (total.p95Ms && p95 !== undefined && p95 !== null) total.p95Ms[i] = Math.max(total.p95Ms[i] ?? 0, p95)
      if (total.errors) total.errors[i] += m.errors?.[i] ?? 0
    }
    if (total.latencyMs) total.latencyMs[i] = weight > 0 ? weighted / weight : null
  }
  return total
}

function describeSpan(ms: number): string {
  if (ms >= 2 * WEEK_MS && ms % WEEK_MS === 0) return `${ms / WEEK_MS} weeks`
  if (ms >= 2 * DAY_MS) return `${+(ms / DAY_MS).toFixed(1)} days`
  return `${+(ms / HOUR_MS).toFixed(1)} hours`
}

function iso(t: number): string {
  return new Date(t).toISOString().replace(':00.000Z', 'Z')
}
