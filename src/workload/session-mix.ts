/**
 * The session mix of a service: which behaviour profiles its load test replays (learned from an
 * access log) and what one session costs on average (requests, think time, duration). Synthesis
 * sizes the test with these numbers and the JMX renderer turns the request rate into a session
 * rate with them, so both read them from here.
 *
 * Expected requests per session of one profile = Σ_j v_j with v = start · (I − T)⁻¹: the
 * expected number of visits to each state of an absorbing Markov chain (T holds the
 * state-to-state probabilities; what a row leaves to 1 is the exit).
 */
import { resolve } from 'node:path'
import type { EndpointConfig, ServiceConfig } from '../config/peakcast-config.js'
import { parseAccessLog, templatePath } from '../telemetry/accesslog.js'
import { sessionize, type Session } from '../telemetry/sessions.js'
import type { Logger } from '../util/log.js'
import { PeakcastError } from '../util/errors.js'
import { learnProfiles } from './profiles.js'
import type { BehaviourProfile, ThinkTime } from './workload.js'

/** Profiles learned for a service, with a one-line account of how (for the YAML notes and logs). */
export interface LearnedProfiles {
  profiles: BehaviourProfile[]
  note: string
}

/** Default cap on profiles per service: more would be hard to review and thin to estimate. */
export const DEFAULT_MAX_PROFILES = 5

/**
 * The one place a service's behaviour profiles come from: `profiles.from` in peakcast.yaml, or
 * the service's own access log telemetry. Undefined when neither applies or `maxProfiles: 0`
 * turns them off. Requests that match no configured endpoint (method + path template) are
 * dropped and counted.
 */
export async function learnServiceProfiles(service: ServiceConfig, baseDir: string, log?: Logger): Promise<LearnedProfiles | undefined> {
  const cfg = service.profiles
  const from = cfg?.from ?? (service.telemetry.type === 'accesslog' ? service.telemetry.path : undefined)
  const maxProfiles = cfg?.maxProfiles ?? DEFAULT_MAX_PROFILES
  if (from === undefined || maxProfiles === 0) return undefined
  const file = resolve(baseDir, from)
  const accessLog = await parseAccessLog(file)
  const { sessions, matched, unmatched, unmatchedTop } = mapSessions(sessionize(accessLog.events), service.endpoints, service.target.baseUrl)
  if (matched === 0) {
    const message = `no request matches an endpoint of ${service.name} (method + path); most frequent: ${unmatchedTop.join(', ')}`
    // asked for explicitly: an error; merely implied by the telemetry type: plain rate mix
    if (cfg?.from !== undefined) throw new PeakcastError(message, { file, field: 'profiles.from' }, 'check the endpoints in peakcast.yaml against the log')
    log?.warn(`${from}: ${message}; no behaviour profiles`)
    return undefined
  }
  const think = service.thinkTime
  const result = learnProfiles(sessions, {
    fallbackThinkTime: { distribution: think.stdDevMs > 0 ? 'gaussian' : 'constant', meanMs: Math.round(think.meanMs), stdDevMs: Math.round(think.stdDevMs) },
    maxProfiles,
    ...(cfg?.eps !== undefined ? { eps: cfg.eps } : {}),
    ...(cfg?.minPts !== undefined ? { minPts: cfg.minPts } : {})
  })
  const note =
    `${result.profiles.length} profile(s) learned from ${result.sessions} sessions in ${from} ` +
    `(DBSCAN eps ${result.eps}, minPts ${result.minPts}, ${result.noise} unclustered + ${result.merged} capped sessions in "other"); ` +
    `${matched} requests matched an endpoint, ${unmatched} did not and were dropped, ${accessLog.bots} bot requests left out`
  log?.info(`${service.name}: ${note}`)
  return { profiles: result.profiles, note }
}

/**
 * Sessions with every request renamed to the endpoint it matches, unmatched requests dropped
 * (sessions left empty vanish). Sessions are cut on all traffic first: a visitor reading pages
 * we do not model is still active.
 */
export function mapSessions(
  sessions: Session[],
  endpoints: Pick<EndpointConfig, 'name' | 'method' | 'path'>[],
  baseUrl: string
): { sessions: Session[]; matched: number; unmatched: number; unmatchedTop: string[] } {
  const match = endpointMatcher(endpoints, baseUrl)
  const misses = new Map<string, number>()
  let matched = 0
  let unmatched = 0
  const out: Session[] = []
  for (const s of sessions) {
    const events: Session['events'] = []
    for (const e of s.events) {
      const name = match(e.endpoint)
      if (name === undefined) {
        unmatched++
        misses.set(e.endpoint, (misses.get(e.endpoint) ?? 0) + 1)
      } else {
        matched++
        events.push({ t: e.t, endpoint: name })
      }
    }
    if (events.length > 0) out.push({ events })
  }
  const unmatchedTop = [...misses.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 3)
    .map(([k, n]) => `${k} (${n})`)
  return { sessions: out, matched, unmatched, unmatchedTop }
}

/**
 * "GET /products/{id}" (an access-log endpoint: method + templated path) → the configured
 * endpoint it belongs to. A configured path matches segment by segment: JMeter functions
 * (${...}) and {placeholders} match any one segment, literal segments are templated the way
 * the log's paths are (/products/42 → /products/{id}); the query string is ignored. The path
 * is tried with and without the base URL's path prefix. The most literal match wins, then the
 * first in peakcast.yaml order.
 */
export function endpointMatcher(endpoints: Pick<EndpointConfig, 'name' | 'method' | 'path'>[], baseUrl: string): (logEndpoint: string) => string | undefined {
  const prefix = basePathOf(baseUrl)
  const patterns = endpoints.map((e, order) => ({ name: e.name, method: e.method.toUpperCase(), order, ...pathPattern(e.path) }))
  return logEndpoint => {
    const space = logEndpoint.indexOf(' ')
    const method = logEndpoint.slice(0, space)
    const path = trimSlash(logEndpoint.slice(space + 1))
    const paths = prefix && path.startsWith(`${prefix}/`) ? [path, trimSlash(path.slice(prefix.length))] : [path]
    let best: { literal: number; order: number; name: string } | undefined
    for (const p of patterns) {
      if (p.method !== method || !paths.some(x => p.regex.test(x))) continue
      if (!best || p.literal > best.literal) best = p
    }
    return best?.name
  }
}

function pathPattern(path: string): { regex: RegExp; literal: number } {
  const HOLE = '\u0000'
  const noFunctions = replaceFunctions(path, HOLE)
  const bare = trimSlash(noFunctions.split(/[?#]/, 1)[0])
  let literal = 0
  const segments = bare.split('/').map(seg => {
    if (/^\{[^/]*\}$/.test(seg)) return '[^/]+'
    if (!seg.includes(HOLE)) {
      literal++
      return escapeRegex(templatePath(seg))
    }
    return seg.split(HOLE).map(escapeRegex).join('[^/]+')
  })
  return { regex: new RegExp(`^${segments.join('/')}$`), literal }
}

/** Replaces each ${...} (nested braces included) with `hole`. */
function replaceFunctions(s: string, hole: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '{') {
      let depth = 0
      let j = i + 1
      for (; j < s.length; j++) {
        if (s[j] === '{') depth++
        else if (s[j] === '}' && --depth === 0) break
      }
      out += hole
      i = j
    } else {
      out += s[i]
    }
  }
  return out
}

function basePathOf(baseUrl: string): string {
  try {
    return trimSlash(new URL(baseUrl).pathname)
  } catch {
    return ''
  }
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') || '/' : p
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** What a session costs on average over the profile mix (shares normalised to 1). */
export interface SessionMix {
  /** expected requests per session */
  requests: number
  /** expected think time per session, ms (one pause between each two requests) */
  thinkMs: number
  /** expected session duration, ms: requests × latency + think */
  durationMs: number
  /** per profile, in order */
  perProfile: { name: string; requests: number; timerMs: number }[]
}

export function sessionMix(profiles: BehaviourProfile[], latencyMs: number): SessionMix {
  const total = profiles.reduce((a, p) => a + p.share, 0)
  if (!(total > 0)) throw new PeakcastError('profile shares sum to 0', { field: 'profiles' })
  let requests = 0
  let thinkMs = 0
  const perProfile = profiles.map((p, i) => {
    const n = expectedRequests(p, `profiles[${i}]`)
    const timerMs = timerMeanMs(p.thinkTime)
    const w = p.share / total
    requests += w * n
    thinkMs += w * Math.max(0, n - 1) * timerMs
    return { name: p.name, requests: n, timerMs }
  })
  return { requests, thinkMs, durationMs: requests * latencyMs + thinkMs, perProfile }
}

/**
 * Expected visits to each state (start · (I − T)⁻¹), over the states reachable from the start.
 * Throws when a reachable part of the chain can never exit: such a session never ends.
 */
export function expectedVisits(p: BehaviourProfile, field = 'profile'): number[] {
  const k = p.states.length
  checkChain(p, field)
  // states a session can reach; an unreachable closed loop is harmless and must not make I − T singular
  const reach = p.start.map(x => x > 0)
  for (let changed = true; changed; ) {
    changed = false
    for (let i = 0; i < k; i++) {
      if (!reach[i]) continue
      for (let j = 0; j < k; j++) {
        if (p.transitions[i][j] > 0 && !reach[j]) reach[j] = changed = true
      }
    }
  }
  const idx = [...Array(k).keys()].filter(i => reach[i])
  const n = idx.length
  // (I − T)ᵀ v = start, on the reachable states
  const a = idx.map((_, r) => [...idx.map((ci, c) => (r === c ? 1 : 0) - p.transitions[ci][idx[r]]), p.start[idx[r]]])
  for (let col = 0; col < n; col++) {
    let pivot = col
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r
    if (Math.abs(a[pivot][col]) < 1e-9) {
      throw new PeakcastError(`profile "${p.name}" has states a session can reach but never leave`, { field: `${field}.transitions` }, 'every reachable state needs a path to the exit (row sums below 1)')
    }
    ;[a[col], a[pivot]] = [a[pivot], a[col]]
    for (let r = 0; r < n; r++) {
      if (r === col) continue
      const f = a[r][col] / a[col][col]
      if (f !== 0) for (let c = col; c <= n; c++) a[r][c] -= f * a[col][c]
    }
  }
  const visits = new Array<number>(k).fill(0)
  idx.forEach((s, r) => (visits[s] = a[r][n] / a[r][r]))
  return visits
}

export function expectedRequests(p: BehaviourProfile, field = 'profile'): number {
  return expectedVisits(p, field).reduce((a, b) => a + b, 0)
}

/** Shapes and ranges the Markov chain must have, each with the field to fix. */
export function checkChain(p: BehaviourProfile, field: string): void {
  const k = p.states.length
  const bad = (what: string, at = field) => new PeakcastError(`profile "${p.name}": ${what}`, { field: at })
  const prob = (x: number) => Number.isFinite(x) && x >= 0 && x <= 1
  if (k === 0) throw bad('has no states', `${field}.states`)
  if (new Set(p.states).size !== k) throw bad('names a state twice', `${field}.states`)
  if (!(Number.isFinite(p.share) && p.share >= 0)) throw bad(`share must be >= 0, got ${p.share}`, `${field}.share`)
  if (p.start.length !== k || !p.start.every(prob)) throw bad(`start needs ${k} probabilities in [0, 1]`, `${field}.start`)
  if (Math.abs(p.start.reduce((a, b) => a + b, 0) - 1) > 1e-3) throw bad('start probabilities must sum to 1', `${field}.start`)
  if (p.transitions.length !== k) throw bad(`transitions need ${k} rows`, `${field}.transitions`)
  p.transitions.forEach((row, i) => {
    if (row.length !== k || !row.every(prob)) throw bad(`row ${i} needs ${k} probabilities in [0, 1]`, `${field}.transitions[${i}]`)
    if (row.reduce((a, b) => a + b, 0) > 1 + 1e-3) throw bad(`row ${i} sums to more than 1`, `${field}.transitions[${i}]`)
  })
}

/**
 * The mean delay of the stock JMeter timer that plays this think time: Constant Timer = mean;
 * Gaussian Random Timer = |N(mean, sd)| (JMeter folds negative draws), whose mean exceeds
 * `mean` when sd is large; Uniform Random Timer as jmx.ts sizes it (mean kept).
 */
export function timerMeanMs(t: ThinkTime): number {
  if (t.distribution !== 'gaussian' || t.stdDevMs <= 0) return t.meanMs
  const m = t.meanMs
  const s = t.stdDevMs
  return s * Math.sqrt(2 / Math.PI) * Math.exp(-(m * m) / (2 * s * s)) + m * (1 - 2 * normalCdf(-m / s))
}

/** Φ(x) via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * z)
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z)
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2
}
