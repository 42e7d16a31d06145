/**
 * The XGBoost forecaster at serving time: three ONNX models (P10, P50, P90 of target/level),
 * fed by the same feature rows the training matrix was built from (features.ts). A model
 * directory is trusted only when its model.json matches this code's features and every ONNX
 * file matches the sha256 recorded at training time.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import { PeakcastError } from '../util/errors.js'
import { actionRoot } from '../util/paths.js'
import { HOUR_MS } from '../telemetry/series.js'
import type { Forecast, Forecaster, ForecastInput } from './forecaster.js'
import { FEATURE_VERSION, buildFeatureRows, featureNames, fromPrediction, rollingLevel } from './features.js'

export const QUANTILE_FILES = { p10: 'p10.onnx', p50: 'p50.onnx', p90: 'p90.onnx' } as const
type Quantile = keyof typeof QUANTILE_FILES

const RETRAIN_HINT =
  'retrain it with scripts/train-default-model.sh (or template-repo/model/train.py for your own data), or set model: default'

/** model.json as train.py writes it; only the fields serving depends on are checked. */
export interface ModelMetadata {
  /** "xgb-peak@sha256:<first 12 hex of modelDigest(files)>" */
  id: string
  featureVersion: string
  featureNames: string[]
  horizon: number
  /** file name → sha256 hex of its bytes */
  files: Record<string, string>
  /** set by train.py on a validation split; absent in older models (= no shrinkage, raw band) */
  calibration?: Calibration
  [other: string]: unknown
}

/**
 * How the raw model outputs become the served forecast (all in target units, see toTarget):
 * P50 = alpha × model correction (alpha < 1 shrinks towards the seasonal mean), and the band
 * edges are the quantile models' distances from their P50, scaled to reach the coverage
 * measured on validation rows.
 */
export interface Calibration {
  alpha: number
  p10Scale: number
  p90Scale: number
}

const UNCALIBRATED: Calibration = { alpha: 1, p10Scale: 1, p90Scale: 1 }

export function defaultModelDir(): string {
  return join(actionRoot(), 'models/default')
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * The digest a model id carries: sha256 over "name sha256\n" lines of its files, sorted by name,
 * then a line with the calibration (it changes the forecasts, so it is part of what the id names).
 */
export function modelDigest(files: Record<string, string>, calibration?: Calibration): string {
  const lines = Object.keys(files)
    .sort()
    .map(name => `${name} ${files[name]}\n`)
  if (calibration) {
    const { alpha, p10Scale, p90Scale } = calibration
    lines.push(`calibration ${alpha.toFixed(4)} ${p10Scale.toFixed(4)} ${p90Scale.toFixed(4)}\n`)
  }
  return sha256Hex(lines.join(''))
}

export class OnnxForecaster implements Forecaster {
  readonly id: string

  constructor(
    readonly metadata: ModelMetadata,
    private readonly sessions: Record<Quantile, InferenceSession>,
    private readonly ort: typeof import('onnxruntime-node')
  ) {
    this.id = metadata.id
  }

  async forecast(input: ForecastInput): Promise<Forecast> {
    if (input.horizon > this.metadata.horizon) {
      throw new PeakcastError(
        `horizon ${input.horizon} h is longer than the model's ${this.metadata.horizon} h`,
        { field: 'horizon' }
      )
    }
    const rows = buildFeatureRows(input)
    const level = rollingLevel(input)
    const [p10, p50, p90] = await Promise.all(
      (['p10', 'p50', 'p90'] as const).map(q => this.predictRatios(q, rows))
    )
    const { alpha, p10Scale, p90Scale } = this.metadata.calibration ?? UNCALIBRATED
    const out: Forecast = { start: input.origin, stepMs: HOUR_MS, p10: [], p50: [], p90: [], model: this.id }
    for (let h = 0; h < rows.length; h++) {
      const center = alpha * p50[h]
      // quantile models are trained separately, so they can cross: a crossed edge counts as zero
      // width, which keeps P10 ≤ P50 ≤ P90 (and ≥ 0 after the clamp)
      const lower = center - p10Scale * Math.max(0, p50[h] - p10[h])
      const upper = center + p90Scale * Math.max(0, p90[h] - p50[h])
      const mid = Math.max(0, fromPrediction(center, level, rows[h]))
      out.p50.push(mid)
      out.p10.push(Math.max(0, Math.min(fromPrediction(lower, level, rows[h]), mid)))
      out.p90.push(Math.max(fromPrediction(upper, level, rows[h]), mid))
    }
    return out
  }

  /** Raw model outputs (target/level) for feature rows: what the parity test compares with Python. */
  async predictRatios(quantile: Quantile, rows: Float32Array[]): Promise<Float32Array> {
    const width = this.metadata.featureNames.length
    // a plain array: onnxruntime makes its own Float32Array of it, which also works when the
    // caller's typed arrays come from another realm (jest's vm sandbox)
    const flat: number[] = []
    for (const r of rows) for (const v of r) flat.push(v)
    const session = this.sessions[quantile]
    const feeds: Record<string, Tensor> = {
      [session.inputNames[0]]: new this.ort.Tensor('float32', flat, [rows.length, width])
    }
    const result = await session.run(feeds)
    return result[session.outputNames[0]].data as Float32Array
  }
}

function readMetadata(dir: string): ModelMetadata {
  const file = join(dir, 'model.json')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new PeakcastError(`cannot read model metadata (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file }, RETRAIN_HINT)
  }
  let meta: unknown
  try {
    meta = JSON.parse(text)
  } catch (err) {
    throw new PeakcastError(`is not valid JSON: ${(err as Error).message}`, { file }, RETRAIN_HINT)
  }
  const m = meta as Partial<ModelMetadata>
  const need = (ok: boolean, field: string, what: string) => {
    if (!ok) throw new PeakcastError(`must have ${what}`, { file, field }, RETRAIN_HINT)
  }
  need(typeof meta === 'object' && meta !== null && !Array.isArray(meta), 'model.json', 'an object at the top')
  need(typeof m.id === 'string', 'id', 'a string id')
  need(typeof m.featureVersion === 'string', 'featureVersion', 'a string featureVersion')
  need(Array.isArray(m.featureNames) && m.featureNames.every(n => typeof n === 'string'), 'featureNames', 'a list of names')
  need(Number.isInteger(m.horizon) && (m.horizon as number) > 0, 'horizon', 'a positive integer horizon')
  need(typeof m.files === 'object' && m.files !== null, 'files', 'a map of file name to sha256')
  const c = m.calibration
  need(
    c === undefined ||
      (typeof c === 'object' && c !== null && [c.alpha, c.p10Scale, c.p90Scale].every(v => Number.isFinite(v) && v >= 0)),
    'calibration',
    'calibration {alpha, p10Scale, p90Scale} of non-negative numbers'
  )
  return m as ModelMetadata
}

function checkCompatible(meta: ModelMetadata, file: string): void {
  if (meta.featureVersion !== FEATURE_VERSION) {
    throw new PeakcastError(
      `model was trained on features "${meta.featureVersion}", this peakcast computes "${FEATURE_VERSION}"`,
      { file, field: 'featureVersion' },
      RETRAIN_HINT
    )
  }
  const expected = featureNames()
  if (meta.featureNames.length !== expected.length || meta.featureNames.some((n, i) => n !== expected[i])) {
    throw new PeakcastError(
      `model expects ${meta.featureNames.length} features [${meta.featureNames.join(', ')}], ` +
        `this peakcast computes ${expected.length} [${expected.join(', ')}]`,
      { file, field: 'featureNames' },
      RETRAIN_HINT
    )
  }
  const expectedId = `xgb-peak@sha256:${modelDigest(meta.files, meta.calibration).slice(0, 12)}`
  if (meta.id !== expectedId) {
    throw new PeakcastError(`id "${meta.id}" does not match its files and calibration (expected "${expectedId}")`, { file, field: 'id' }, RETRAIN_HINT)
  }
}

function readVerified(dir: string, name: string, meta: ModelMetadata): Uint8Array {
  const file = join(dir, name)
  const recorded = meta.files[name]
  if (typeof recorded !== 'string') {
    throw new PeakcastError(`lists no sha256 for ${name}`, { file: join(dir, 'model.json'), field: `files.${name}` }, RETRAIN_HINT)
  }
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (err) {
    throw new PeakcastError(`cannot read model file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file }, RETRAIN_HINT)
  }
  const actual = sha256Hex(bytes)
  if (actual !== recorded) {
    throw new PeakcastError(
      `sha256 ${actual.slice(0, 12)}… does not match ${recorded.slice(0, 12)}… recorded in model.json: the file is corrupt or was replaced`,
      { file },
      RETRAIN_HINT
    )
  }
  return bytes
}

/** Loads and verifies a model directory (model.json + p10/p50/p90.onnx). */
export async function loadOnnxForecaster(modelDir: string): Promise<OnnxForecaster> {
  const meta = readMetadata(modelDir)
  checkCompatible(meta, join(modelDir, 'model.json'))
  const ort = await import('onnxruntime-node')
  const sessions = {} as Record<Quantile, InferenceSession>
  for (const q of ['p10', 'p50', 'p90'] as const) {
    const name = QUANTILE_FILES[q]
    const bytes = readVerified(modelDir, name, meta)
    try {
      // one thread: tree sums are then added in one order, so forecasts are byte-stable
      sessions[q] = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 })
    } catch (err) {
      throw new PeakcastError(`onnxruntime cannot load the model: ${(err as Error).message}`, { file: join(modelDir, name) }, RETRAIN_HINT)
    }
  }
  const forecaster = new OnnxForecaster(meta, sessions, ort)
  // a model with the wrong input width fails here, at load, not in the middle of a forecast
  for (const q of ['p10', 'p50', 'p90'] as const) {
    try {
      await forecaster.predictRatios(q, [new Float32Array(meta.featureNames.length)])
    } catch (err) {
      throw new PeakcastError(
        `model does not accept ${meta.featureNames.length} features: ${(err as Error).message}`,
        { file: join(modelDir, QUANTILE_FILES[q]) },
        RETRAIN_HINT
      )
    }
  }
  return forecaster
}
