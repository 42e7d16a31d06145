/**
 * Traffic for forecast tests: a seeded synthetic week shape, and the real hourly series under
 * ../shared/data read through the product's own reader and normalizer.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { readTelemetryFile } from '../../src/telemetry/file.js'
import { normalize } from '../../src/telemetry/normalize.js'
import { mulberry32 } from '../../src/util/random.js'

export const HOUR = 3_600_000
/** Monday 2026-01-05 00:00Z */
export const MONDAY = Date.UTC(2026, 0, 5)

export const dataPath = (rel: string) => resolve(process.cwd(), '../shared/data', rel)

/** Deterministic uniform [0, 1) generator. */
export const rng = mulberry32

/** Standard normal via Box–Muller. */
export function gaussian(next: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())
}

/**
 * Requests per hour at hour-of-week h (0 = Monday 00:00Z): a daytime hump peaking at 14:00,
 * weekdays busier than weekends, never zero.
 */
export function weekShape(h: number): number {
  const day = Math.floor(h / 24)
  const hour = h % 24
  const daily = 200 + 1000 * Math.exp(-(((hour - 14) / 4) ** 2))
  return daily * (day >= 5 ? 0.6 : 1 + 0.05 * day)
}

/** `weeks` weeks of weekShape starting at a Monday 00:00Z, optionally with multiplicative noise. */
export function periodic(weeks: number, noise = 0, seed = 1): number[] {
  const z = gaussian(rng(seed))
  return Array.from({ length: weeks * 168 }, (_, i) => weekShape(i % 168) * (noise > 0 ? Math.exp(noise * z()) : 1))
}

/** A real telemetry file → hourly request counts, via readTelemetryFile + normalize. */
export async function loadHourly(rel: string, timezone?: string): Promise<{ start: number; values: number[] }> {
  const path = dataPath(rel)
  const { series } = normalize(await readTelemetryFile(path, { timezone }), { service: 'test', source: path })
  return { start: series.start, values: series.total.requests }
}

/** NAB anomaly windows of one file, as epoch ms [from, to]. */
export function nabWindows(file: string): [number, number][] {
  const all = JSON.parse(readFileSync(dataPath('nab/labels/combined_windows.json'), 'utf8')) as Record<string, string[][]>
  return all[file].map(([a, b]) => [Date.parse(`${a.replace(' ', 'T')}Z`), Date.parse(`${b.replace(' ', 'T')}Z`)])
}
