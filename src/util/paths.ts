import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The action's own root (where action.yml lives), found by walking up from this module.
 * Works from src/ under tsx/jest and from dist/ in the bundle, so shipped assets
 * (models/default, schemas/) resolve the same way everywhere.
 */
export function actionRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from
  for (;;) {
    if (existsSync(join(dir, 'action.yml'))) return dir
    const up = dirname(dir)
    if (up === dir) throw new Error(`peakcast: action.yml not found above ${from}`)
    dir = up
  }
}
