import { isAbsolute, resolve } from 'node:path'
import { SeasonalBaseline } from './baseline.js'
import type { Forecaster } from './forecaster.js'
import { defaultModelDir, loadOnnxForecaster } from './onnx.js'

/**
 * peakcast.yaml `model:` → a Forecaster. Absent or "default": the XGBoost model shipped with the
 * action; "seasonal-naive": the level-adjusted seasonal baseline; anything else: a model
 * directory (model.json + ONNX files) relative to the config file.
 */
export async function resolveForecaster(model: string | undefined, baseDir: string): Promise<Forecaster> {
  if (model === 'seasonal-naive') return new SeasonalBaseline({ levelAdjust: true })
  if (model === undefined || model === 'default') return loadOnnxForecaster(defaultModelDir())
  return loadOnnxForecaster(isAbsolute(model) ? model : resolve(baseDir, model))
}
