/**
 * peakcast.yaml: owned by humans, validated by schemas/peakcast.schema.json.
 * Durations are written as "30m", "90s", "1h" in YAML and held in seconds here.
 */

export type TelemetrySourceConfig =
  | { type: 'file'; path: string; format?: 'csv' | 'ndjson' | 'auto'; timezone?: string }
  | { type: 'accesslog'; path: string }
  | {
      type: 'newrelic'
      accountId: number
      region?: 'US' | 'EU'
      /** env var holding the key; never the key itself */
      apiKeyEnv?: string
      appName: string
      queries?: Record<string, string>
    }
  | {
      type: 'prometheus'
      url: string
      auth?: { type: 'bearer'; tokenEnv: string } | { type: 'basic'; userEnv: string; passwordEnv: string }
      queries?: Record<string, string>
    }
  | { type: 'splunk'; url: string; tokenEnv?: string; index?: string; queries?: Record<string, string> }

export interface EndpointConfig {
  name: string
  method: string
  path: string
  body?: string
  /** fixed weight; otherwise learned from telemetry */
  weight?: number
}

/**
 * Behaviour profiles (Markov chains over the endpoints, learned from user sessions). `from`
 * defaults to the telemetry's path when telemetry is an access log; maxProfiles 0 turns them off.
 */
export interface ProfilesConfig {
  /** Apache/nginx combined access log, relative to peakcast.yaml */
  from?: string
  /** DBSCAN radius; default: the knee of the k-distance curve */
  eps?: number
  /** DBSCAN core size; default max(4, 1 % of sessions) */
  minPts?: number
  /** at most this many profiles, "other" included (default 5) */
  maxProfiles?: number
}

export interface ServiceConfig {
  name: string
  target: { baseUrl: string }
  telemetry: TelemetrySourceConfig
  endpoints: EndpointConfig[]
  headroom: number
  /** seconds */
  duration: number
  /** seconds */
  rampUp: number
  thinkTime: { meanMs: number; stdDevMs: number }
  /** fallback latency for Little's law when telemetry has none, ms */
  latencyMs: number
  /** weeks of history fed to the forecaster */
  historyWeeks: number
  /** model directory (model.onnx + model.json); default: the model shipped with the action */
  model?: string
  profiles?: ProfilesConfig
}

export interface PeakcastConfig {
  version: 1
  services: ServiceConfig[]
  pullRequest: { labels: string[]; reviewers: string[]; branchPrefix: string; maxChangePercent: number }
}
