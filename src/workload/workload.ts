/**
 * The generated, reviewed workload: workloads/<service>.yaml. Machine-owned (regenerated from
 * peakcast.yaml + telemetry), schema-checked by schemas/workload.schema.json.
 */

export interface EndpointLoad {
  /** label used in JMeter results, e.g. "GET /products/{id}" */
  name: string
  method: string
  /** request path; may hold JMeter functions, e.g. /products/${__Random(1,500)} */
  path: string
  /** share of requests, 0..1; weights sum to 1 (rounded to 4 decimals) */
  weight: number
  /** request body for POST/PUT, sent as application/json */
  body?: string
}

export interface ThinkTime {
  distribution: 'gaussian' | 'constant' | 'uniform'
  meanMs: number
  stdDevMs: number
}

/** A user-behaviour profile: a Markov chain over endpoints with its own think time. */
export interface BehaviourProfile {
  name: string
  /** share of sessions that follow this profile, 0..1 */
  share: number
  thinkTime: ThinkTime
  /** endpoint names in matrix order */
  states: string[]
  /** initial-state probabilities, same order as states */
  start: number[]
  /** transitions[i][j] = P(next = states[j] | current = states[i]); rows sum to <= 1, rest = exit */
  transitions: number[][]
}

export interface WorkloadForecast {
  model: string
  window: { from: string; to: string }
  peak: { day: string; hour: string; rps: { p10: number; p50: number; p90: number } }
  lastWeekPeakRps: number
  anomalies?: { from: string; to: string; kind: string }[]
}

export interface Workload {
  apiVersion: 'peakcast/v1'
  kind: 'Workload'
  service: string
  target: { baseUrl: string }
  forecast: WorkloadForecast
  test: {
    targetRps: number
    headroom: number
    /** seconds */
    duration: number
    /** seconds */
    rampUp: number
    threads: number
    /** request latency assumed by Little's law, ms */
    latencyMs: number
    thinkTime: ThinkTime
  }
  endpoints: EndpointLoad[]
  profiles?: BehaviourProfile[]
}

/** One reviewed parameter's change between the committed workload and the regenerated one. */
export interface ParamChange {
  /** dotted path, e.g. "test.targetRps" or "endpoints[GET /cart].weight" */
  path: string
  old: string | number | null
  new: string | number | null
  /** (new - old) / old × 100, null when not numeric or old is 0/absent */
  changePercent: number | null
  /** one line: why it changed (e.g. "forecast P90 peak 1410 rps × 1.10 headroom") */
  why: string
}
