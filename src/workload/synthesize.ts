/**
 * Forecast peak + telemetry + peakcast.yaml → the workload to test (pure, deterministic).
 * Every number comes with a one-line note saying how it was derived; the notes end up in the
 * YAML header and in the PR's parameter table.
 */
import type { ServiceConfig } from '../config/peakcast-config.js'
import type { Anomaly, Forecast, Peak } from '../forecast/forecaster.js'
import type { Series } from '../telemetry/series.js'
import { round, roundToSum } from './round.js'
import { sessionMix } from './session-mix.js'
import type { BehaviourProfile, EndpointLoad, Workload } from './workload.js'

export interface SynthesisInput {
  service: ServiceConfig
  series: Series
  forecast: Forecast
  peak: Peak
  lastWeekPeakRps: number
  anomalies: Anomaly[]
  /** the history the forecast was made from, epoch ms [from, to) */
  window: { from: number; to: number }
  profiles?: BehaviourProfile[]
  /** how the profiles were learned, one line for the YAML notes */
  profilesNote?: string
}

/** Endpoint mix and latency are measured in the busiest 10 % of buckets of the last two weeks. */
export const PEAK_LOOKBACK_MS = 14 * 24 * 3_600_000
export const PEAK_FRACTION = 0.1

export function synthesizeWorkload(input: SynthesisInput): { workload: Workload; notes: Record<string, string> } {
  const { service, series, forecast, peak } = input
  const notes: Record<string, string> = {}
  const hours = peakBuckets(series, input.window, input.anomalies)
  const hoursText = describeBuckets(series, hours)

  const targetRps = round(peak.rps.p90 * service.headroom, 1)
  notes['test.targetRps'] = `P90 peak ${fmt(peak.rps.p90, 1)} rps × ${fmt(service.headroom, 2)} headroom`
  notes['test.headroom'] = 'peakcast.yaml headroom'

  const latency = peakLatency(series, hours)
  const latencyMs = latency ? latency.ms : service.latencyMs
  notes['test.latencyMs'] = latency
    ? `request-weighted ${latency.kind} latency in ${hoursText}`
    : `peakcast.yaml latencyMs (telemetry has no latency in ${hoursText})`

  const think = service.thinkTime
  notes['test.thinkTime'] = 'peakcast.yaml thinkTime'
  const profiles = input.profiles && input.profiles.length > 0 ? input.profiles : undefined
  let concurrency: number
  if (profiles) {
    // each arrival is a session: Little's law over sessions, which hold a thread for all their requests and pauses
    const mix = sessionMix(profiles, latencyMs)
    const sessionRate = targetRps / mix.requests
    concurrency = round(sessionRate * (mix.durationMs / 1000), 6)
    notes['test.sessionRate'] =
      `${fmt(targetRps, 1)} rps ÷ ${fmt(mix.requests, 4)} expected requests per session (start·(I−T)⁻¹·1 per profile, weighted by share) = ${fmt(sessionRate, 4)} sessions/s (JMeter peakcast.sessionRate)`
    notes['test.threads'] =
      `Little's law over sessions: ${fmt(sessionRate, 4)} sessions/s × (${fmt(mix.requests, 4)} requests × ${fmt(latencyMs / 1000, 3)} s latency + ${fmt(mix.thinkMs / 1000, 3)} s think between them) = ${fmt(concurrency, 2)}, rounded up`
  } else {
    // Little's law: concurrency = arrival rate × time each request holds a thread
    const holdS = (latencyMs + think.meanMs) / 1000
    concurrency = round(targetRps * holdS, 6)
    notes['test.threads'] =
      `Little's law: ${fmt(targetRps, 1)} rps × (${fmt(latencyMs / 1000, 3)} s latency + ${fmt(think.meanMs / 1000, 3)} s think) = ${fmt(concurrency, 2)}, rounded up`
  }
  const threads = Math.max(1, Math.ceil(concurrency))
  notes['test.duration'] = 'peakcast.yaml duration'
  notes['test.rampUp'] = 'peakcast.yaml rampUp'

  const endpoints = endpointMix(service, series, hours, hoursText, notes)

  notes['forecast.peak.rps.p90'] = `P90 of the ${forecast.model} forecast at its busiest hour`
  notes['forecast.peak.at'] = `busiest hour of the ${forecast.model} forecast`
  notes['forecast.lastWeekPeakRps'] = 'busiest hour of the last 7 days of telemetry'

  const workload: Workload = {
    apiVersion: 'peakcast/v1',
    kind: 'Workload',
    service: service.name,
    target: { baseUrl: service.target.baseUrl },
    forecast: {
      model: forecast.model,
      window: { from: isoMinute(input.window.from), to: isoMinute(input.window.to) },
      peak: {
        day: peak.day,
        hour: peak.hour,
        rps: { p10: round(peak.rps.p10, 1), p50: round(peak.rps.p50, 1), p90: round(peak.rps.p90, 1) }
      },
      lastWeekPeakRps: round(input.lastWeekPeakRps, 1)
    },
    test: {
      targetRps,
      headroom: round(service.headroom, 2),
      // whole seconds: the YAML writes durations as "1h30m"
      duration: Math.round(service.duration),
      rampUp: Math.round(service.rampUp),
      threads,
      latencyMs,
      thinkTime: {
        distribution: think.stdDevMs > 0 ? 'gaussian' : 'constant',
        meanMs: Math.round(think.meanMs),
        stdDevMs: Math.round(think.stdDevMs)
      }
    },
    endpoints
  }
  const anomalies = workloadAnomalies(input.anomalies)
  if (anomalies.length > 0) workload.forecast.anomalies = anomalies
  if (profiles) {
    workload.profiles = profiles
    notes.profiles = input.profilesNote ?? `${profiles.length} behaviour profile(s) learned from sessions`
  }
  return { workload, notes }
}

/**
 * Indices of the busiest PEAK_FRACTION of buckets in the last PEAK_LOOKBACK_MS of the window,
 * leaving out anomalous buckets (a spike is not the normal endpoint mix). Ties go to the
 * earlier bucket. Falls back to the whole series when the window holds no usable bucket.
 */
export function peakBuckets(series: Series, window: { from: number; to: number }, anomalies: Anomaly[]): number[] {
  const n = series.total.requests.length
  const t = (i: number) => series.start + i * series.stepMs
  const from = Math.max(window.from, window.to - PEAK_LOOKBACK_MS)
  const inWindow = (i: number) => t(i) >= from && t(i) < window.to
  const anomalous = (i: number) => anomalies.some(a => t(i) < a.to && t(i) + series.stepMs > a.from)
  let candidates = range(n).filter(i => inWindow(i) && !anomalous(i))
  if (candidates.length === 0) candidates = range(n).filter(inWindow)
  if (candidates.length === 0) candidates = range(n)
  const count = Math.max(1, Math.ceil(candidates.length * PEAK_FRACTION))
  const req = series.total.requests
  return candidates
    .sort((a, b) => req[b] - req[a] || a - b)
    .slice(0, count)
    .sort((a, b) => a - b)
}

/** Request-weighted p95 (preferred: Little's law wants the slow requests too) or mean latency. */
function peakLatency(series: Series, hours: number[]): { ms: number; kind: 'p95' | 'mean' } | null {
  const { total } = series
  for (const [kind, values] of [['p95', total.p95Ms], ['mean', total.latencyMs]] as const) {
    if (!values) continue
    let weight = 0
    let sum = 0
    for (const i of hours) {
      const v = values[i]
      const w = total.requests[i]
      if (v === null || v === undefined || !Number.isFinite(v) || w <= 0) continue
      weight += w
      sum += w * v
    }
    if (weight > 0) return { ms: Math.max(1, Math.round(sum / weight)), kind }
  }
  return null
}

/**
 * Fixed weights from peakcast.yaml are kept; the other endpoints share the rest in proportion
 * to their requests in the peak buckets (evenly when telemetry has none of them).
 */
function endpointMix(
  service: ServiceConfig,
  series: Series,
  hours: number[],
  hoursText: string,
  notes: Record<string, string>
): EndpointLoad[] {
  const eps = service.endpoints
  const counts = eps.map(e => hours.reduce((acc, i) => acc + (series.endpoints[e.name]?.requests[i] ?? 0), 0))
  const fixedSum = eps.reduce((acc, e) => acc + (e.weight ?? 0), 0)
  const free = eps.map((e, i) => (e.weight === undefined ? i : -1)).filter(i => i >= 0)
  const freeCount = free.reduce((acc, i) => acc + counts[i], 0)
  const allRequests = hours.reduce((acc, i) => acc + series.total.requests[i], 0)

  let raw: number[]
  if (free.length === 0) {
    // every weight fixed: honour their ratios, scaled to 1 if they fall short
    raw = eps.map(e => e.weight ?? 0)
  } else {
    const rest = Math.max(0, 1 - fixedSum)
    raw = eps.map((e, i) =>
      e.weight !== undefined ? e.weight : freeCount > 0 ? (rest * counts[i]) / freeCount : rest / free.length
    )
  }
  const weights = roundToSum(raw, 4)
  const scaled = free.length === 0 && Math.abs(fixedSum - 1) > 1e-9
  eps.forEach((e, i) => {
    const key = `endpoints[${e.name}].weight`
    if (e.weight !== undefined) {
      notes[key] = scaled ? `fixed in peakcast.yaml (${fmt(e.weight, 4)}), scaled so the weights sum to 1` : 'fixed in peakcast.yaml'
    } else if (freeCount > 0) {
      const share = allRequests > 0 ? ` (${fmt((100 * counts[i]) / allRequests, 1)}% of all requests)` : ''
      notes[key] = `${Math.round(counts[i])} of ${Math.round(freeCount)} requests to unfixed endpoints in ${hoursText}${share}`
    } else {
      notes[key] = `no per-endpoint telemetry in ${hoursText}: split evenly`
    }
  })
  return eps.map((e, i) => {
    const load: EndpointLoad = { name: e.name, method: e.method, path: e.path, weight: weights[i] }
    if (e.body !== undefined) load.body = e.body
    return load
  })
}

function workloadAnomalies(anomalies: Anomaly[]): { from: string; to: string; kind: string }[] {
  return anomalies
    .map(a => ({ from: isoMinute(a.from), to: isoMinute(a.to), kind: a.endpoint ? `${a.kind} (${a.endpoint})` : a.kind }))
    .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0))
}

function describeBuckets(series: Series, hours: number[]): string {
  if (hours.length === 0) return 'no telemetry'
  const unit = series.stepMs === 3_600_000 ? 'hour' : 'bucket'
  const first = isoMinute(series.start + hours[0] * series.stepMs)
  const last = isoMinute(series.start + hours[hours.length - 1] * series.stepMs)
  return `the ${hours.length} busiest ${unit}${hours.length === 1 ? '' : 's'} (${first} to ${last})`
}

/** "2026-11-27T14:00Z": minute precision is all a reviewer needs, and it never changes format. */
export function isoMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`
}

function fmt(x: number, decimals: number): string {
  return round(x, decimals).toFixed(decimals)
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}
