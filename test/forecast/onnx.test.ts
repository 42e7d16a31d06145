/**
 * @jest-environment ./test/helpers/onnx-environment.mjs
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { FEATURE_VERSION, buildFeatureRows, featureNames, rollingLevel } from '../../src/forecast/features.js'
import { defaultModelDir, loadOnnxForecaster, modelDigest, sha256Hex, type ModelMetadata } from '../../src/forecast/onnx.js'
import { PeakcastError } from '../../src/util/errors.js'
import { loadHourly } from '../helpers/traffic.js'

const shipped = resolve(process.cwd(), 'models/default')
const dirs: string[] = []
afterAll(() => dirs.forEach(d => rmSync(d, { recursive: true, force: true })))

/** A private copy of the shipped model that a test may break. */
function copyModel(): string {
  const dir = mkdtempSync(join(tmpdir(), 'peakcast-model-'))
  dirs.push(dir)
  cpSync(shipped, dir, { recursive: true })
  return dir
}
const readMeta = (dir: string) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>
const writeMeta = (dir: string, meta: unknown) => writeFileSync(join(dir, 'model.json'), JSON.stringify(meta))

async function loadError(dir: string): Promise<PeakcastError> {
  const err = await loadOnnxForecaster(dir).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(PeakcastError)
  return err as PeakcastError
}

describe('the shipped model', () => {
  it('is the default model directory, matches this code’s features, and its id is the digest of its files', () => {
    expect(defaultModelDir()).toBe(shipped)
    const meta = readMeta(shipped) as unknown as ModelMetadata
    expect(meta.featureVersion).toBe(FEATURE_VERSION)
    expect(meta.featureNames).toEqual(featureNames())
    for (const [name, sha] of Object.entries(meta.files)) expect(sha256Hex(readFileSync(join(shipped, name)))).toBe(sha)
    expect(meta.id).toBe(`xgb-peak@sha256:${modelDigest(meta.files, meta.calibration).slice(0, 12)}`)
  })

  it('forecasts a real week with ordered, non-negative intervals that scale with the traffic', async () => {
    const model = await loadOnnxForecaster(shipped)
    const { start, values } = await loadHourly('nab/realKnownCause/nyc_taxi.csv')
    const at = 24 * 7 * 10
    const input = { history: values.slice(0, at), origin: start + at * 3_600_000, horizon: 168 }
    const f = await model.forecast(input)
    expect(f.model).toBe(model.id)
    expect(f.start).toBe(input.origin)
    expect(f.p50).toHaveLength(168)
    for (let h = 0; h < 168; h++) {
      expect(f.p10[h]).toBeGreaterThanOrEqual(0)
      expect(f.p10[h]).toBeLessThanOrEqual(f.p50[h])
      expect(f.p50[h]).toBeLessThanOrEqual(f.p90[h])
    }
    // a sane forecast of the next week: its mean within 25 % of what happened
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const actual = mean(values.slice(at, at + 168))
    expect(Math.abs(mean(f.p50) - actual) / actual).toBeLessThan(0.25)
    // one model for any service size: 8× the traffic, 8× the forecast
    const big = await model.forecast({ ...input, history: input.history.map(v => v * 8) })
    big.p50.forEach((v, h) => expect(v).toBeCloseTo(f.p50[h] * 8, 3))
    await expect(model.forecast({ ...input, horizon: 169 })).rejects.toThrow(/horizon/)
  })
})

describe('calibration in model.json', () => {
  it('serves P50 = seasonal mean + alpha × correction and scales each band edge from the raw quantiles', async () => {
    const dir = copyModel()
    const calibration = { alpha: 0.3, p10Scale: 2, p90Scale: 0.5 }
    const meta = readMeta(dir) as unknown as ModelMetadata
    writeMeta(dir, { ...meta, calibration, id: `xgb-peak@sha256:${modelDigest(meta.files, calibration).slice(0, 12)}` })
    const model = await loadOnnxForecaster(dir)
    const { start, values } = await loadHourly('nab/realKnownCause/nyc_taxi.csv')
    const at = 24 * 7 * 12
    const input = { history: values.slice(0, at), origin: start + at * 3_600_000, horizon: 48 }
    const f = await model.forecast(input)
    const rows = buildFeatureRows(input)
    const level = rollingLevel(input)
    const [p10, p50, p90] = await Promise.all((['p10', 'p50', 'p90'] as const).map(q => model.predictRatios(q, rows)))
    const anchor = featureNames().indexOf('seasonal_mean_4w')
    for (let h = 0; h < 48; h++) {
      const seasonal = rows[h][anchor]
      const mid = seasonal + 0.3 * p50[h]
      expect(f.p50[h]).toBeCloseTo(Math.max(0, mid * level), 6)
      expect(f.p90[h]).toBeCloseTo(Math.max(f.p50[h], (mid + 0.5 * Math.max(0, p90[h] - p50[h])) * level), 6)
      expect(f.p10[h]).toBeCloseTo(Math.max(0, Math.min(f.p50[h], (mid - 2 * Math.max(0, p50[h] - p10[h])) * level)), 6)
    }
  })

  it('is part of the id: a calibration edited without a new id is refused', async () => {
    const dir = copyModel()
    writeMeta(dir, { ...readMeta(dir), calibration: { alpha: 0.5, p10Scale: 1, p90Scale: 1 } })
    expect((await loadError(dir)).place.field).toBe('id')
  })

  it('rejects a negative or missing calibration number', async () => {
    const dir = copyModel()
    writeMeta(dir, { ...readMeta(dir), calibration: { alpha: -1, p10Scale: 1, p90Scale: 1 } })
    expect((await loadError(dir)).place.field).toBe('calibration')
    writeMeta(dir, { ...readMeta(dir), calibration: { alpha: 1, p10Scale: 1 } })
    expect((await loadError(dir)).place.field).toBe('calibration')
  })
})

describe('loadOnnxForecaster refuses a model it cannot trust', () => {
  it('names a missing model.json and says how to retrain', async () => {
    const dir = copyModel()
    unlinkSync(join(dir, 'model.json'))
    const err = await loadError(dir)
    expect(err.place.file).toBe(join(dir, 'model.json'))
    expect(err.message).toMatch(/ENOENT/)
    expect(err.hint).toMatch(/train-default-model\.sh/)
  })

  it('rejects model.json that is not JSON or lacks fields', async () => {
    const dir = copyModel()
    writeFileSync(join(dir, 'model.json'), '{"id": ')
    expect((await loadError(dir)).message).toMatch(/not valid JSON/)
    const meta = readMeta(copyModel())
    delete meta.files
    writeMeta(dir, meta)
    expect((await loadError(dir)).place.field).toBe('files')
  })

  it('rejects a model trained on another feature version or feature list', async () => {
    const dir = copyModel()
    writeMeta(dir, { ...readMeta(dir), featureVersion: 'peak-features/0' })
    const err = await loadError(dir)
    expect(err.place.field).toBe('featureVersion')
    expect(err.message).toContain(FEATURE_VERSION)

    writeMeta(dir, { ...readMeta(copyModel()), featureNames: featureNames().slice(1) })
    expect((await loadError(dir)).place.field).toBe('featureNames')
  })

  it('rejects a corrupted ONNX file by its sha256', async () => {
    const dir = copyModel()
    const file = join(dir, 'p90.onnx')
    const bytes = readFileSync(file)
    bytes[bytes.length >> 1] ^= 0xff
    writeFileSync(file, bytes)
    const err = await loadError(dir)
    expect(err.place.file).toBe(file)
    expect(err.message).toMatch(/sha256 .* does not match/)
  })

  it('reports onnxruntime’s refusal of a truncated file whose sha256 was updated, naming the file', async () => {
    const dir = copyModel()
    const file = join(dir, 'p50.onnx')
    const truncated = readFileSync(file).subarray(0, 200)
    writeFileSync(file, truncated)
    const meta = readMeta(dir) as unknown as ModelMetadata
    meta.files['p50.onnx'] = sha256Hex(truncated)
    writeMeta(dir, { ...meta, id: `xgb-peak@sha256:${modelDigest(meta.files, meta.calibration).slice(0, 12)}` })
    const err = await loadError(dir)
    expect(err.place.file).toBe(file)
    expect(err.message).toMatch(/onnxruntime cannot load the model/)
    expect(err.hint).toMatch(/retrain/)
  })

  it('rejects an id that does not match the files (a hand-edited model.json)', async () => {
    const dir = copyModel()
    writeMeta(dir, { ...readMeta(dir), id: 'xgb-peak@sha256:000000000000' })
    expect((await loadError(dir)).place.field).toBe('id')
  })
})
