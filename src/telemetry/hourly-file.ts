/**
 * One telemetry file as the forecasting commands (backtest, features, propose-model) use it:
 * read, repaired by normalize like every source, and required to be hourly.
 */
import { basename, extname } from 'node:path'
import { PeakcastError } from '../util/errors.js'
import { readTelemetryFile } from './file.js'
import { normalize } from './normalize.js'
import { HOUR_MS, type RepairReport, type Series } from './series.js'

export interface HourlyFileOptions {
  /** how the file is named in messages (as the user gave it) */
  source: string
  /** zone of timestamps written without an offset; default UTC */
  timezone?: string
  /** keep only points before this epoch ms (a training cut-off) */
  before?: number
  /** what needs the hourly series, for the error: "a backtest", "training" */
  purpose: string
  hint?: string
}

export async function readHourlyFile(path: string, o: HourlyFileOptions): Promise<{ series: Series; report: RepairReport }> {
  const points = await readTelemetryFile(path, { timezone: o.timezone })
  const kept = o.before === undefined ? points : points.filter(p => p.t < o.before!)
  const normalized = normalize(kept, { service: basename(path, extname(path)), source: o.source })
  const { stepMs } = normalized.series
  if (stepMs !== HOUR_MS) {
    throw new PeakcastError(`${o.purpose} needs an hourly series, got a ${stepMs / 60_000} min step`, { file: o.source }, o.hint)
  }
  return normalized
}
