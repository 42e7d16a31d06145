import type { ServiceConfig } from '../config/peakcast-config.js'
import { detectAnomalies } from '../forecast/anomalies.js'
import type { Anomaly, Forecast, Forecaster, Peak } from '../forecast/forecaster.js'
import { extractPeaks, lastWeekPeak } from '../forecast/peaks.js'
import { renderJmx } from '../jmeter/jmx.js'
import { HOUR_MS, type Series } from '../telemetry/series.js'
import { synthesizeWorkload } from './synthesize.js'
import type { BehaviourProfile, Workload } from './workload.js'
import { renderWorkloadYaml } from './workload-yaml.js'

/** Everything one forecast run decides for one service, and the two files it regenerates. */
export interface WorkloadPlan {
  workload: Workload
  notes: Record<string, string>
  yaml: string
  jmx: string
  forecast: Forecast
  peak: Peak
  lastWeekPeakRps: number
  anomalies: Anomaly[]
  /** the hourly history the forecaster saw: epoch ms of its first hour and requests per hour */
  history: { start: number; values: number[] }
}

/**
 * telemetry → anomalies → forecast → peak → workload → YAML + JMX.
 * The forecast origin is the end of the telemetry, not the wall clock, so the same telemetry
 * always gives the same files.
 */
export async function planWorkload(args: {
  service: ServiceConfig
  series: Series
  forecaster: Forecaster
  profiles?: BehaviourProfile[]
  /** how the profiles were learned (see learnServiceProfiles), for the YAML notes */
  profilesNote?: string
}): Promise<WorkloadPlan> {
  const { service, series, forecaster } = args
  if (series.stepMs !== HOUR_MS) throw new Error(`planWorkload: expected an hourly series, got step ${series.stepMs} ms`)
  const all = series.total.requests
  const hours = Math.min(all.length, service.historyWeeks * 168)
  const values = all.slice(all.length - hours)
  const origin = series.start + all.length * HOUR_MS
  const start = origin - hours * HOUR_MS

  const { anomalies, mask } = detectAnomalies(values, start, HOUR_MS)
  const forecast = await forecaster.forecast({ history: values, origin, horizon: 168, excluded: mask })
  const { peak } = extractPeaks(forecast)
  const lastWeekPeakRps = lastWeekPeak({ start, stepMs: HOUR_MS, values }, origin)
  const { workload, notes } = synthesizeWorkload({
    service,
    series,
    forecast,
    peak,
    lastWeekPeakRps,
    anomalies,
    window: { from: start, to: origin },
    profiles: args.profiles,
    ...(args.profilesNote !== undefined ? { profilesNote: args.profilesNote } : {})
  })
  return {
    workload,
    notes,
    yaml: renderWorkloadYaml(workload, notes),
    jmx: renderJmx(workload),
    forecast,
    peak,
    lastWeekPeakRps,
    anomalies,
    history: { start, values }
  }
}
