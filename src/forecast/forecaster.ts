/**
 * Every forecaster (seasonal baseline, ONNX XGBoost) answers the same question: given an
 * hourly history ending just before `origin`, what are the next `horizon` hours, as a
 * distribution (P10/P50/P90)?
 */

export interface ForecastInput {
  /** hourly values (requests per hour), oldest first; the last value is the hour before origin */
  history: number[]
  /** epoch ms of the first forecast hour (UTC, hour-aligned); history[i] is at origin - (n - i) h */
  origin: number
  /** hours to forecast, usually 168 */
  horizon: number
  /** hours of history to ignore (anomalies); same length as history */
  excluded?: boolean[]
}

export interface Forecast {
  /** epoch ms of the first hour */
  start: number
  stepMs: number
  p10: number[]
  p50: number[]
  p90: number[]
  /** which model produced it, e.g. "seasonal-naive" or "xgb-peak@sha256:3f1c…" */
  model: string
}

export interface Forecaster {
  readonly id: string
  forecast(input: ForecastInput): Promise<Forecast>
}

/** The peak of a forecast week: what the workload is sized for. */
export interface Peak {
  /** epoch ms of the peak hour (UTC) */
  at: number
  /** "2026-11-27" (UTC) */
  day: string
  /** "14:00Z" */
  hour: string
  /** requests per second at the peak hour */
  rps: { p10: number; p50: number; p90: number }
}

/** A stretch of telemetry that must not teach the model (outage, spike, flat line, level shift). */
export interface Anomaly {
  /** epoch ms, [from, to) */
  from: number
  to: number
  kind: 'outage' | 'spike' | 'flatline' | 'level-shift'
  /** endpoint name, or undefined for the service total */
  endpoint?: string
}
