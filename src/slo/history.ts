/**
 * Results history: one JSON Lines file per service, kept in the config repository (branch
 * `peakcast/history`) so baselines survive ephemeral runners. Pure text in, text out; the git
 * plumbing lives with the caller. Records hold statistics only (no request data), plus the run
 * id, commit and time the caller gives.
 */
import type { LabelStats, RunStats } from '../jmeter/stats.js'
import { PeakcastError } from '../util/errors.js'
import type { MetricField } from './metrics.js'

export const HISTORY_BRANCH = 'peakcast/history'

export function historyPath(service: string): string {
  return `.peakcast/history/${service}.jsonl`
}

export type RecordStats = Omit<LabelStats, 'label'>

export interface HistoryRecord {
  version: 1
  service: string
  runId: string
  commit: string
  /** ISO-8601 as given by the caller; never the clock of this module */
  time: string
  verdict?: 'pass' | 'warning' | 'fail'
  /** total SLO score, percent */
  score?: number
  targetRps?: number
  durationMs: number
  total: RecordStats
  /** by endpoint label */
  labels: Record<string, RecordStats>
}

export interface RunIdentity {
  service: string
  runId: string
  commit: string
  time: string
}

export function recordFromRun(
  id: RunIdentity,
  stats: RunStats,
  result?: { verdict: 'pass' | 'warning' | 'fail'; score: number }
): HistoryRecord {
  const labels: Record<string, RecordStats> = {}
  for (const l of stats.labels) labels[l.label] = statsOf(l)
  return {
    version: 1,
    ...id,
    ...(result ? { verdict: result.verdict, score: result.score } : {}),
    ...(stats.targetRps !== undefined ? { targetRps: stats.targetRps } : {}),
    durationMs: stats.endMs - stats.startMs,
    total: statsOf(stats.total),
    labels
  }
}

/** Only the known numbers: nothing else a future LabelStats carries ends up in the repository. */
function statsOf(l: LabelStats): RecordStats {
  const out = {} as RecordStats
  for (const f of STAT_FIELDS) out[f] = l[f]
  return out
}

/** Keeps the file bounded; a few hundred runs are plenty for a median of the last N. */
export const DEFAULT_KEEP = 500

/**
 * Appends one record. A record with the same run id (a re-run job) replaces the earlier one;
 * the oldest records drop out beyond `keep`. Throws like parseHistory on a damaged file.
 */
export function appendRun(text: string, record: HistoryRecord, opts: { keep?: number; file?: string } = {}): string {
  const keep = opts.keep ?? DEFAULT_KEEP
  const kept = parseHistory(text, opts.file ?? historyPath(record.service)).filter(r => r.runId !== record.runId)
  const all = [...kept, record].slice(-keep)
  return all.map(r => `${stableJson(r)}\n`).join('')
}

const STAT_FIELDS: (keyof RecordStats)[] = [
  'count',
  'errors',
  'errorRate',
  'min',
  'mean',
  'p50',
  'p90',
  'p95',
  'p99',
  'max',
  'throughputRps'
]

export function parseHistory(text: string, file: string): HistoryRecord[] {
  const records: HistoryRecord[] = []
  const lines = text.split('\n')
  lines.forEach((raw, i) => {
    const line = raw.trim()
    if (!line) return
    const bad = (why: string) =>
      new PeakcastError(`not a peakcast history record: ${why}`, { file, line: i + 1 }, 'fix or delete this line; each line is one JSON record')
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (err) {
      throw bad(`invalid JSON (${(err as Error).message})`)
    }
    const problem = recordProblem(value)
    if (problem) throw bad(problem)
    records.push(value as HistoryRecord)
  })
  return records
}

function recordProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'expected a JSON object'
  if (v.version !== 1) return `unknown version ${JSON.stringify(v.version)} (this peakcast reads version 1)`
  for (const k of ['service', 'runId', 'commit', 'time'] as const) {
    if (typeof v[k] !== 'string') return `field ${k} must be a string`
  }
  if (v.verdict !== undefined && !['pass', 'warning', 'fail'].includes(v.verdict as string)) return 'field verdict must be pass, warning or fail'
  const totalProblem = statsProblem(v.total)
  if (totalProblem) return `total: ${totalProblem}`
  if (!isObject(v.labels)) return 'field labels must be an object'
  for (const [label, s] of Object.entries(v.labels)) {
    const p = statsProblem(s)
    if (p) return `labels[${JSON.stringify(label)}]: ${p}`
  }
  return undefined
}

function statsProblem(s: unknown): string | undefined {
  if (!isObject(s)) return 'expected an object'
  for (const f of STAT_FIELDS) {
    if (typeof s[f] !== 'number' || !Number.isFinite(s[f])) return `field ${f} must be a number`
  }
  return undefined
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Sorted keys at every level, so the same record is always the same bytes. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`
  if (isObject(v)) {
    const keys = Object.keys(v).filter(k => v[k] !== undefined).sort()
    return `{${keys.map(k => `${JSON.stringify(k)}:${stableJson(v[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}

export type BaselineStats = Record<MetricField, number> & { runs: number }

/** Medians of earlier runs, for relative criteria. */
export interface Baseline {
  /** run ids the medians came from, oldest first */
  runIds: string[]
  total: BaselineStats
  labels: Record<string, BaselineStats>
}

const BASELINE_FIELDS: MetricField[] = ['p50', 'p90', 'p95', 'p99', 'max', 'mean', 'errorRate', 'throughputRps']

/**
 * The last `runs` records (only passing ones with include: pass), medians per endpoint label.
 * `excludeRunId` keeps the run being judged out of its own baseline. Undefined when no run
 * qualifies: relative criteria then pass with "no baseline yet".
 */
export function baselineFrom(
  records: HistoryRecord[],
  comparison: { runs: number; include: 'pass' | 'all' },
  opts: { excludeRunId?: string } = {}
): Baseline | undefined {
  const chosen = records
    .filter(r => r.runId !== opts.excludeRunId && (comparison.include === 'all' || r.verdict === 'pass'))
    .slice(-comparison.runs)
  if (chosen.length === 0) return undefined
  const labelNames = [...new Set(chosen.flatMap(r => Object.keys(r.labels)))].sort()
  const labels: Record<string, BaselineStats> = {}
  for (const name of labelNames) {
    labels[name] = medians(chosen.flatMap(r => (r.labels[name] ? [r.labels[name]] : [])))
  }
  return { runIds: chosen.map(r => r.runId), total: medians(chosen.map(r => r.total)), labels }
}

function medians(stats: RecordStats[]): BaselineStats {
  const out = { runs: stats.length } as BaselineStats
  for (const f of BASELINE_FIELDS) out[f] = median(stats.map(s => s[f]))
  return out
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}
