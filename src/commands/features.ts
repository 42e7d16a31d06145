import { basename, resolve } from 'node:path'
import { readHourlyFile } from '../telemetry/hourly-file.js'
import { detectAnomalies } from '../forecast/anomalies.js'
import { FEATURE_VERSION, MAX_HORIZON, onnxFeatureNames, trainingMatrix } from '../forecast/features.js'
import { writeFilesAtomic } from '../util/atomic-write.js'
import { PeakcastError } from '../util/errors.js'
import type { Command } from './command.js'
import type { CommandContext } from './context.js'

export interface FeaturesCommandOptions {
  /** telemetry file (CSV or NDJSON), relative to ctx.cwd */
  data: string
  /** zone of timestamps written without an offset; default UTC */
  timezone?: string
  /** matrix CSV to write, relative to ctx.cwd; its description goes beside it as <out>.json */
  out: string
  /** ISO time: only telemetry before it is used (keeps a hold-out period unseen) */
  before?: string
  /** hours between training origins; default 23 (coprime with 24: origins at every hour of day) */
  originsEvery?: number
  /** clean detected anomalies out of histories and targets; default true */
  excludeAnomalies?: boolean
}

/** What the matrix was built from: train.py copies it into model.json. */
export interface MatrixDescription {
  featureVersion: string
  featureNames: string[]
  source: string
  from: string
  to: string
  hours: number
  rows: number
  horizon: number
  originsEvery: number
  anomalousHours: number
}

/** Fixed decimals keep the matrix byte-stable; 6 is below float32 resolution for ratios near 1. */
const DECIMALS = 6

/**
 * Writes the training matrix of one telemetry file: header f0..fN,y, one row per (origin,
 * horizon hour). Python trains on it as is and never recomputes features.
 */
export async function featuresCommand(
  opts: FeaturesCommandOptions,
  ctx: CommandContext
): Promise<{ text: string; description: MatrixDescription }> {
  const path = resolve(ctx.cwd, opts.data)
  const before = opts.before === undefined ? Infinity : Date.parse(opts.before)
  if (Number.isNaN(before)) {
    throw new PeakcastError(`before "${opts.before}" is not an ISO timestamp`, { field: 'before' }, 'e.g. 2019-04-01T00:00:00Z')
  }
  const { series } = await readHourlyFile(path, { source: opts.data, timezone: opts.timezone, before, purpose: 'training' })
  const values = series.total.requests
  const excluded =
    opts.excludeAnomalies === false ? undefined : detectAnomalies(values, series.start, series.stepMs).mask
  const originsEvery = opts.originsEvery ?? 23
  const m = trainingMatrix(values, series.start, { horizon: MAX_HORIZON, originsEvery, excluded })
  if (m.X.length === 0) {
    throw new PeakcastError(
      `${values.length} hours are too few for a training row`,
      { file: opts.data },
      'training needs at least five weeks of hourly telemetry (four of history, one of targets)'
    )
  }

  const lines = [[...onnxFeatureNames(), 'y'].join(',')]
  m.X.forEach((row, i) => {
    lines.push([...Array.from(row, v => v.toFixed(DECIMALS)), m.y[i].toFixed(DECIMALS)].join(','))
  })
  const description: MatrixDescription = {
    anomalousHours: excluded ? excluded.filter(Boolean).length : 0,
    featureNames: m.names,
    featureVersion: FEATURE_VERSION,
    from: new Date(series.start).toISOString(),
    horizon: MAX_HORIZON,
    hours: values.length,
    originsEvery,
    rows: m.X.length,
    source: basename(path),
    to: new Date(series.start + values.length * series.stepMs).toISOString()
  }
  const out = resolve(ctx.cwd, opts.out)
  writeFilesAtomic([
    { path: out, data: `${lines.join('\n')}\n` },
    { path: `${out}.json`, data: `${JSON.stringify(description, null, 2)}\n` }
  ])
  const text = `${out}: ${m.X.length} rows × ${m.names.length} features from ${values.length} hours of ${opts.data}`
  ctx.log.info(text)
  return { text, description }
}

export const featuresCmd: Command = {
  name: 'features',
  summary: 'Write the training matrix (f0..fN,y) the recipe in template-repo/model trains on',
  options: [
    { name: 'data', description: 'telemetry CSV/NDJSON (e.g. from export-telemetry)', type: 'string', required: true },
    { name: 'out', description: 'matrix CSV to write (plus <out>.json describing it)', type: 'string', required: true },
    { name: 'timezone', description: 'zone of timestamps written without an offset', type: 'string' },
    { name: 'before', description: 'use only data before this ISO timestamp (hold out the rest)', type: 'string' },
    { name: 'origins-every', description: 'hours between training origins', type: 'number', default: '23' },
    { name: 'exclude-anomalies', description: 'mask anomalous hours before building rows', type: 'boolean', default: 'true' }
  ],
  async run(o, ctx) {
    const { text } = await featuresCommand(
      {
        data: String(o.data),
        out: String(o.out),
        timezone: o.timezone as string | undefined,
        before: o.before as string | undefined,
        originsEvery: o['origins-every'] as number | undefined,
        excludeAnomalies: o['exclude-anomalies'] as boolean | undefined
      },
      ctx
    )
    return { text }
  }
}
