/**
 * The one telemetry shape every source returns: a regular UTC series per service, with the
 * same buckets for the service total and for each endpoint.
 */

export const HOUR_MS = 3_600_000

/** One observation as a source reads it, before repair. `line` points back into the input. */
export interface RawPoint {
  /** epoch ms, UTC */
  t: number
  endpoint?: string
  /** requests counted in the bucket that starts at t */
  requests: number
  /** mean latency of those requests, ms */
  latencyMs?: number
  /** p95 latency, ms, when the source has it */
  p95Ms?: number
  /** failed requests in the bucket */
  errors?: number
  /** where it came from, for error messages: file:line or query name */
  line?: number
}

export interface Metrics {
  /** requests per bucket */
  requests: number[]
  /** request-weighted mean latency per bucket, ms; null where unknown */
  latencyMs?: (number | null)[]
  p95Ms?: (number | null)[]
  errors?: number[]
}

export interface Series {
  service: string
  /** epoch ms of the first bucket, aligned to stepMs */
  start: number
  stepMs: number
  total: Metrics
  /** per-endpoint metrics, same buckets as total; keys sorted */
  endpoints: Record<string, Metrics>
}

/** What normalization did to the input, reported to the user and listed in the PR. */
export interface RepairReport {
  source: string
  rows: number
  gapsFilled: number
  duplicatesMerged: number
  outOfOrder: number
  dropped: { line?: number; reason: string }[]
  notes: string[]
}

export function bucketTimes(s: Pick<Series, 'start' | 'stepMs' | 'total'>): number[] {
  return s.total.requests.map((_, i) => s.start + i * s.stepMs)
}

/** requests per bucket → requests per second */
export function toRps(requests: number, stepMs: number): number {
  return requests / (stepMs / 1000)
}

/** What every telemetry source gets: who is asking, where relative paths start, and the window. */
export interface SourceContext {
  service: string
  /** directory relative paths in the config resolve against */
  baseDir: string
  env: NodeJS.ProcessEnv
  log: import('../util/log.js').Logger
  /** epoch ms, UTC, [from, to) — sources that query an API must honour it; files may ignore it */
  window?: { from: number; to: number }
}
