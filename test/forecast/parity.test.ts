/**
 * @jest-environment ./test/helpers/onnx-environment.mjs
 *
 * The whole training recipe on real data, checked against serving: `peakcast features` writes
 * the matrix, train.py trains and exports ONNX, onnxruntime-node (OnnxForecaster) and
 * xgboost's own predict must then agree on every row. Needs .venv (scripts/setup-python.sh;
 * CI creates it, otherwise the helper does on first use).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { featuresCommand } from '../../src/commands/features.js'
import { FEATURE_VERSION, featureNames } from '../../src/forecast/features.js'
import { loadOnnxForecaster } from '../../src/forecast/onnx.js'
import { memoryLogger } from '../../src/util/log.js'
import { runTrainPy } from '../helpers/python.js'
import { dataPath } from '../helpers/traffic.js'

const work = mkdtempSync(join(tmpdir(), 'peakcast-parity-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

function readCsv(path: string): { header: string[]; rows: number[][] } {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n')
  return { header: head.split(','), rows: lines.map(l => l.split(',').map(Number)) }
}

describe('training recipe ↔ serving parity', () => {
  const matrix = join(work, 'taxi.csv')
  const model = join(work, 'model')

  beforeAll(async () => {
    const ctx = { log: memoryLogger(), cwd: work, env: {}, now: 0 }
    // every 97 h: a small matrix (≈7,500 rows) with origins at every hour of day
    await featuresCommand({ data: dataPath('nab/realKnownCause/nyc_taxi.csv'), out: matrix, originsEvery: 97 }, ctx)
    runTrainPy(['--matrix', matrix, '--holdout', matrix, '--boosters', '--out', model])
  })

  it('writes a matrix with header f0..fN,y and a description train.py copies into model.json', () => {
    const { header, rows } = readCsv(matrix)
    expect(header).toEqual([...featureNames().map((_, i) => `f${i}`), 'y'])
    const description = JSON.parse(readFileSync(`${matrix}.json`, 'utf8'))
    expect(description.rows).toBe(rows.length)
    expect(description.featureVersion).toBe(FEATURE_VERSION)
    const meta = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'))
    expect(meta.featureNames).toEqual(featureNames())
    expect(meta.trainingWindow[0].rows).toBe(rows.length)
    // in-sample P90 of a quantile model covers roughly 90 % of its own targets
    expect(meta.metrics.train.p90Coverage).toBeGreaterThan(0.8)
    expect(meta.metrics.train.p90Coverage).toBeLessThan(0.98)
  })

  it('calibrates on validation rows: alpha on the 0.1 grid, every smaller alpha worse on the weekly peak', () => {
    const { calibration } = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'))
    const errors = calibration.validationPeakError as Record<string, number>
    expect(Object.keys(errors)).toHaveLength(11)
    expect(Object.keys(errors)).toContain(calibration.alpha.toFixed(1))
    // the one-standard-error rule takes the smallest alpha within reach of the best: all smaller ones miss it
    for (const [a, e] of Object.entries(errors)) {
      if (Number(a) < calibration.alpha) expect(e).toBeGreaterThan(errors[calibration.alpha.toFixed(1)])
    }
    expect(calibration.validationOrigins).toBeGreaterThan(0)
    expect(calibration.p10Scale).toBeGreaterThanOrEqual(0)
    expect(calibration.p90Scale).toBeGreaterThan(0)
  })

  it('is deterministic: training again on the same matrix writes byte-identical ONNX files', () => {
    const again = join(work, 'again')
    runTrainPy(['--matrix', matrix, '--out', again])
    for (const f of ['p10.onnx', 'p50.onnx', 'p90.onnx']) {
      expect(readFileSync(join(again, f)).equals(readFileSync(join(model, f)))).toBe(true)
    }
  })

  it('onnxruntime and xgboost predict the same values for every row (|Δ| ≤ 1e-4)', async () => {
    // loading also checks that train.py and onnx.ts digest files and calibration into the same id
    const forecaster = await loadOnnxForecaster(model)
    const { rows } = readCsv(matrix)
    const features = rows.map(r => Float32Array.from(r.slice(0, -1)))
    const predictions = join(work, 'xgb.csv')
    runTrainPy(['--predict', matrix, '--model', model, '--out', predictions])
    const xgb = readCsv(predictions)
    expect(xgb.header).toEqual(['p10', 'p50', 'p90'])
    expect(xgb.rows).toHaveLength(rows.length)
    for (const [k, q] of (['p10', 'p50', 'p90'] as const).entries()) {
      const onnx = await forecaster.predictRatios(q, features)
      let worst = 0
      onnx.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - xgb.rows[i][k]))))
      expect(worst).toBeLessThanOrEqual(1e-4)
    }
  })
})
