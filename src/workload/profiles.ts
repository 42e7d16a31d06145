/**
 * User-behaviour profiles from sessions (after Lodestone): describe each session by what it
 * does (first-order transition frequencies, mean think time, length), group similar sessions
 * with DBSCAN, and fit one Markov chain per group. Pure and deterministic: the result depends
 * only on the sessions' content, never on their order, and is rounded to 4 decimals.
 *
 * Rules, so a reviewer can check them:
 * - minPts = max(4, ceil(1 % of the clustered sessions)): a profile stands for at least ~1 %
 *   of sessions.
 * - eps = the knee of the sorted k-distance curve (k = minPts - 1 other sessions), i.e. the
 *   point farthest from the chord between its ends: the classic DBSCAN heuristic, automated
 *   (details at kneeEps).
 * - DBSCAN (npm density-clustering) runs on at most `maxClusterSessions` sessions, evenly
 *   spaced in a canonical order; every other session joins the cluster of its nearest core
 *   session within eps. Its run is O(n²) in distance lookups, so the sample keeps it fast.
 * - Noise sessions are not dropped: they form one catch-all profile "other", so the profile
 *   shares still describe all traffic.
 * - At most maxProfiles profiles: the smallest clusters beyond maxProfiles - 1 join "other",
 *   whose chain is then fitted from all its sessions (not averaged from the clusters' chains).
 * - Endpoint names are scrubbed of e-mail addresses, IPv4 addresses and UUIDs; profiles carry
 *   no visitor identifiers (the Session type has none).
 */
import clustering from 'density-clustering'
import type { Session } from '../telemetry/sessions.js'
import { round, roundToSum } from './round.js'
import type { BehaviourProfile, ThinkTime } from './workload.js'

export interface ProfileOptions {
  /** false for order-only sessions (no real timestamps): every profile gets fallbackThinkTime */
  timed?: boolean
  fallbackThinkTime?: ThinkTime
  /** gaps between requests are capped at this before averaging (ms); longer pauses are reading, not think time */
  thinkCapMs?: number
  /** only these endpoints become states; other events are left out (default: all) */
  endpoints?: string[]
  /** how many sessions DBSCAN itself sees (default 1000) */
  maxClusterSessions?: number
  /** cap on the number of profiles, "other" included (default: no cap) */
  maxProfiles?: number
  /** override the rules above (tests, experiments) */
  eps?: number
  minPts?: number
}

export interface ProfileResult {
  profiles: BehaviourProfile[]
  eps: number
  minPts: number
  /** sessions that fit no cluster and went to "other" */
  noise: number
  /** sessions of clusters merged into "other" by maxProfiles */
  merged: number
  sessions: number
}

interface Features {
  seq: string[]
  gaps: number[]
  /** sorted transition ids and their frequencies (sum 1) */
  keys: number[]
  freq: number[]
  think: number
  length: number
  canon: string
}

const START = '\u0000start'
const END = '\u0000end'

export function learnProfiles(sessions: Session[], options: ProfileOptions = {}): ProfileResult {
  const timed = options.timed ?? true
  const cap = options.thinkCapMs ?? 60_000
  const fallback = options.fallbackThinkTime ?? { distribution: 'constant', meanMs: 0, stdDevMs: 0 }
  const feats = features(sessions, cap, timed, options.endpoints)
  if (feats.length === 0) return { profiles: [], eps: 0, minPts: 0, noise: 0, merged: 0, sessions: 0 }

  // canonical order: the result cannot depend on how sessions arrived
  feats.sort((a, b) => (a.canon < b.canon ? -1 : a.canon > b.canon ? 1 : 0))
  const m = Math.min(feats.length, options.maxClusterSessions ?? 1000)
  const sample = Array.from({ length: m }, (_, i) => Math.floor((i * feats.length) / m))
  const dist = distanceMatrix(sample.map(i => feats[i]))
  const minPts = options.minPts ?? Math.max(4, Math.ceil(0.01 * m))
  const eps = options.eps ?? kneeEps(dist, m, minPts - 1)

  const clusters = dbscan(m, dist, eps, minPts)
  const label = new Int32Array(feats.length).fill(-1)
  clusters.forEach((members, c) => members.forEach(s => (label[sample[s]] = c)))
  assignRest(feats, sample, dist, label, eps, minPts)

  const groups: number[][] = clusters.map(() => [])
  const other: number[] = []
  label.forEach((c, i) => (c >= 0 ? groups[c] : other).push(i))
  // biggest profile first; equal sizes keep the canonical order of their first session
  const ordered = groups.filter(g => g.length > 0).sort((a, b) => b.length - a.length || a[0] - b[0])
  const noise = other.length
  const max = options.maxProfiles ?? Infinity
  const keep = ordered.length + (other.length > 0 ? 1 : 0) > max ? Math.max(0, max - 1) : ordered.length
  for (const g of ordered.slice(keep)) other.push(...g)
  const named = ordered.slice(0, keep).map((g, k) => ({ name: `profile-${k + 1}`, members: g }))
  if (other.length > 0) named.push({ name: 'other', members: other })

  const shares = roundToSum(named.map(g => g.members.length), 4)
  // order-only sessions have no gaps, so their profiles get the fallback think time
  const profiles = named.map((g, k) => markovProfile(g.name, shares[k], g.members.map(i => feats[i]), fallback))
  return { profiles, eps: round(eps, 6), minPts, noise, merged: other.length - noise, sessions: feats.length }
}

/** DBSCAN via density-clustering over precomputed distances; clusters as sample indices. */
export function dbscan(n: number, dist: Float64Array, eps: number, minPts: number): number[][] {
  const points = Array.from({ length: n }, (_, i) => [i])
  const algo = new clustering.DBSCAN()
  // density-clustering counts a neighbour when distance < eps (scikit-learn: <=); its `noise`
  // list can keep points later claimed as border points, so noise is taken as "in no cluster"
  return algo.run(points, eps, minPts, (p: number[], q: number[]) => dist[p[0] * n + q[0]])
}

function features(sessions: Session[], cap: number, timed: boolean, only?: string[]): Features[] {
  const allowed = only ? new Set(only) : null
  const raw: { seq: string[]; gaps: number[] }[] = []
  for (const s of sessions) {
    const events = s.events
      .map((e, i) => ({ t: e.t, i, endpoint: scrub(e.endpoint) }))
      .filter(e => !allowed || allowed.has(e.endpoint))
      .sort((a, b) => a.t - b.t || a.i - b.i)
    if (events.length === 0) continue
    const gaps = timed ? events.slice(1).map((e, k) => Math.min(cap, Math.max(0, e.t - events[k].t))) : []
    raw.push({ seq: events.map(e => e.endpoint), gaps })
  }
  // transition ids over every pair seen, numbered in sorted order
  const pairKey = (a: string, b: string) => `${a}\u0001${b}`
  const pairs = new Set<string>()
  for (const r of raw) walk(r.seq, (a, b) => pairs.add(pairKey(a, b)))
  const ids = new Map([...pairs].sort().map((k, i) => [k, i]))
  const maxLen = raw.reduce((acc, r) => Math.max(acc, r.seq.length), 0)
  const thinkScale = Math.log1p(cap / 1000)
  return raw.map(r => {
    const counts = new Map<number, number>()
    walk(r.seq, (a, b) => {
      const id = ids.get(pairKey(a, b)) as number
      counts.set(id, (counts.get(id) ?? 0) + 1)
    })
    const keys = [...counts.keys()].sort((a, b) => a - b)
    const total = r.seq.length + 1
    const meanGap = r.gaps.length ? r.gaps.reduce((a, b) => a + b, 0) / r.gaps.length : 0
    const think = timed ? Math.log1p(meanGap / 1000) / thinkScale : 0
    const length = maxLen > 1 ? Math.log(r.seq.length) / Math.log(maxLen) : 0
    return {
      ...r,
      keys,
      freq: keys.map(k => (counts.get(k) as number) / total),
      think,
      length,
      canon: `${r.seq.join('\u0002')}\u0003${r.gaps.join(',')}`
    }
  })
}

/** every transition of a session, with start and exit as pseudo-states */
function walk(seq: string[], visit: (a: string, b: string) => void): void {
  const path = [START, ...seq, END]
  for (let i = 1; i < path.length; i++) visit(path[i - 1], path[i])
}

/** Euclidean distance: sparse transition frequencies plus the think and length features (all in [0, 1]). */
function distance(a: Features, b: Features): number {
  let sum = (a.think - b.think) ** 2 + (a.length - b.length) ** 2
  let i = 0
  let j = 0
  while (i < a.keys.length || j < b.keys.length) {
    const ka = i < a.keys.length ? a.keys[i] : Infinity
    const kb = j < b.keys.length ? b.keys[j] : Infinity
    if (ka === kb) sum += (a.freq[i++] - b.freq[j++]) ** 2
    else if (ka < kb) sum += a.freq[i++] ** 2
    else sum += b.freq[j++] ** 2
  }
  return Math.sqrt(sum)
}

function distanceMatrix(fs: Features[]): Float64Array {
  const n = fs.length
  const d = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) d[i * n + j] = d[j * n + i] = distance(fs[i], fs[j])
  }
  return d
}

/**
 * The knee of the ascending k-distance curve: the point farthest below the straight line
 * between its first and last points, x scaled to [0, 1] and y in units of max(range, 1).
 * Distance 1 is the natural unit of the feature space (two one-request sessions on different
 * endpoints), so a curve that stays well below it has no noise tail and its knee is its end:
 * every session sits in a dense region. Nudged up by 1e-9 because density-clustering's
 * neighbourhood is strict (< eps). Points with k exact duplicates (k-distance 0) are left out:
 * they say nothing about the scale of the data.
 */
export function kneeEps(dist: Float64Array, n: number, k: number): number {
  if (n < 2) return 1e-9
  const kk = Math.max(1, Math.min(k, n - 1))
  const kd: number[] = []
  for (let i = 0; i < n; i++) {
    const row = Array.from(dist.subarray(i * n, (i + 1) * n))
    row.splice(i, 1)
    row.sort((a, b) => a - b)
    if (row[kk - 1] > 0) kd.push(row[kk - 1])
  }
  if (kd.length < 2) return (kd[0] ?? 0) + 1e-9
  kd.sort((a, b) => a - b)
  const lo = kd[0]
  const scale = Math.max(kd[kd.length - 1] - lo, 1)
  let best = 0
  let bestGap = -Infinity
  for (let i = 0; i < kd.length; i++) {
    const gap = i / (kd.length - 1) - (kd[i] - lo) / scale
    if (gap > bestGap) {
      bestGap = gap
      best = i
    }
  }
  return kd[best] + 1e-9
}

/** Sessions outside the sample join the cluster of their nearest core sample session within eps. */
function assignRest(feats: Features[], sample: number[], dist: Float64Array, label: Int32Array, eps: number, minPts: number): void {
  const m = sample.length
  const core: number[] = []
  for (let i = 0; i < m; i++) {
    let neighbours = 0
    for (let j = 0; j < m; j++) if (dist[i * m + j] < eps) neighbours++
    if (neighbours >= minPts && label[sample[i]] >= 0) core.push(i)
  }
  const inSample = new Set(sample)
  for (let s = 0; s < feats.length; s++) {
    if (inSample.has(s)) continue
    let best = -1
    let bestD = eps
    for (const c of core) {
      const d = distance(feats[s], feats[sample[c]])
      if (d < bestD) {
        bestD = d
        best = c
      }
    }
    if (best >= 0) label[s] = label[sample[best]]
  }
}

function markovProfile(name: string, share: number, members: Features[], fallback: ThinkTime): BehaviourProfile {
  const states = [...new Set(members.flatMap(f => f.seq))].sort()
  const index = new Map(states.map((s, i) => [s, i]))
  const k = states.length
  const starts = new Array<number>(k).fill(0)
  // counts[i][j] for j < k, exits in column k
  const counts = states.map(() => new Array<number>(k + 1).fill(0))
  for (const f of members) {
    starts[index.get(f.seq[0]) as number]++
    f.seq.forEach((s, t) => {
      const next = t + 1 < f.seq.length ? (index.get(f.seq[t + 1]) as number) : k
      counts[index.get(s) as number][next]++
    })
  }
  return {
    name,
    share,
    thinkTime: thinkTime(members.flatMap(f => f.gaps), fallback),
    states,
    start: roundToSum(starts, 4),
    // each row with its exit column sums to exactly 1, so the rows sum to <= 1 as the type says
    transitions: counts.map(row => roundToSum(row, 4).slice(0, k))
  }
}

function thinkTime(gaps: number[], fallback: ThinkTime): ThinkTime {
  if (gaps.length === 0) return fallback
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length
  const variance = gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length
  return { distribution: 'gaussian', meanMs: Math.round(mean), stdDevMs: Math.round(Math.sqrt(variance)) }
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}\b/g
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi

/** Personal data never reaches a profile, even when a path carries it. */
export function scrub(endpoint: string): string {
  return endpoint.replace(EMAIL, '{email}').replace(IPV4, '{ip}').replace(UUID, '{id}')
}
