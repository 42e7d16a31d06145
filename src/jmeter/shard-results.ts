/**
 * What one JMeter engine (shard) leaves behind, and how shards become one run:
 *   <results-dir>/<service>/shard-<k>/{results.jtl, jmeter.log, dashboard/, run.json}
 * run.json says what the shard ran (rate, seed, schedule), so merge-results needs nothing but
 * the downloaded artifacts (actions/download-artifact adds one directory per artifact:
 * <dir>/peakcast-shard-<k>/<service>/shard-<k>/...).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { PeakcastError } from '../util/errors.js'
import { writeFileAtomic } from '../util/atomic-write.js'
import { accumulateJtl, JtlAccumulator, steadyStateStart } from './jtl.js'
import type { RunStats } from './stats.js'

export interface ShardMeta {
  version: 1
  service: string
  shard: number
  shards: number
  /** the whole workload's target rate; this shard ran shardRps = targetRps / shards */
  targetRps: number
  shardRps: number
  /** seconds */
  rampUp: number
  duration: number
  seed: number
  engine: string
  /** JMeter's exit code: recorded, never the verdict */
  exitCode: number
}

export interface ShardResult {
  dir: string
  jtl: string
  meta: ShardMeta
}

export const JTL_NAME = 'results.jtl'
const META_NAME = 'run.json'

export function shardDir(resultsDir: string, service: string, shard: number): string {
  return join(resultsDir, service, `shard-${shard}`)
}

export function writeShardMeta(dir: string, meta: ShardMeta): void {
  const keys = Object.keys(meta).sort() as (keyof ShardMeta)[]
  writeFileAtomic(join(dir, META_NAME), `${JSON.stringify(Object.fromEntries(keys.map(k => [k, meta[k]])), null, 2)}\n`)
}

/** Every shard under `resultsDir` (any depth up to 4), by service name, shards in index order. */
export function findShardResults(resultsDir: string): Map<string, ShardResult[]> {
  if (!existsSync(resultsDir)) {
    throw new PeakcastError('results directory not found', { file: resultsDir, field: 'results-dir' }, 'download the shard artifacts into it (actions/download-artifact with pattern: peakcast-shard-*)')
  }
  const found = new Map<string, ShardResult[]>()
  const visit = (dir: string, depth: number) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'dashboard') continue
      const path = join(dir, entry.name)
      if (/^shard-\d+$/.test(entry.name) && existsSync(join(path, JTL_NAME))) {
        const result = readShard(path)
        const list = found.get(result.meta.service) ?? []
        const twin = list.find(r => r.meta.shard === result.meta.shard)
        if (twin) {
          throw new PeakcastError(`shard ${result.meta.shard} of ${result.meta.service} appears twice: ${twin.dir} and ${path}`, { field: 'results-dir' }, 'download each shard artifact once')
        }
        found.set(result.meta.service, [...list, result])
      } else if (depth < 4) {
        visit(path, depth + 1)
      }
    }
  }
  visit(resultsDir, 1)
  for (const list of found.values()) list.sort((a, b) => a.meta.shard - b.meta.shard)
  return new Map([...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

function readShard(dir: string): ShardResult {
  const file = join(dir, META_NAME)
  let meta: ShardMeta
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as ShardMeta
  } catch (err) {
    throw new PeakcastError(`cannot read the shard description: ${(err as Error).message}`, { file }, 'upload the whole shard directory written by command test')
  }
  const numbers: (keyof ShardMeta)[] = ['shard', 'shards', 'targetRps', 'shardRps', 'rampUp', 'duration']
  const bad = numbers.find(k => typeof meta[k] !== 'number' || !Number.isFinite(meta[k]))
  if (meta.version !== 1 || typeof meta.service !== 'string' || bad) {
    throw new PeakcastError(`not a peakcast shard description${bad ? ` (field ${bad})` : ''}`, { file }, 'upload the whole shard directory written by command test')
  }
  if (meta.service !== basename(dirname(dir))) {
    throw new PeakcastError(`shard of service ${meta.service} found under ${basename(dirname(dir))}/`, { file }, 'keep the layout <service>/shard-<k>/')
  }
  return { dir, jtl: join(dir, JTL_NAME), meta }
}

/** Shards missing from 0..N-1 (the run is then partial: its throughput falls short). */
export function missingShards(shards: readonly ShardResult[]): number[] {
  const n = Math.max(...shards.map(s => s.meta.shards))
  const have = new Set(shards.map(s => s.meta.shard))
  return Array.from({ length: n }, (_, i) => i).filter(i => !have.has(i))
}

/**
 * Steady-state samples of every shard, merged. Each shard ramps up from its own first sample
 * (matrix jobs start at different times), so each drops its own ramp-up before merging; the
 * merged statistics then equal the analysis of the concatenated steady-state rows.
 */
export async function accumulateShards(shards: readonly ShardResult[]): Promise<JtlAccumulator> {
  const all = new JtlAccumulator()
  for (const s of shards) {
    all.merge(await accumulateJtl(s.jtl, { from: await steadyStateStart(s.jtl, s.meta.rampUp) }))
  }
  return all
}

/** Statistics of the merged shards against the whole workload's target rate. */
export async function analyzeShards(shards: readonly ShardResult[]): Promise<RunStats> {
  const acc = await accumulateShards(shards)
  if (acc.sampleCount === 0) {
    throw new PeakcastError(
      'no samples after the ramp-up',
      { file: shards.map(s => s.jtl).join(', ') },
      'the run ended before its steady state; check jmeter.log and the workload duration'
    )
  }
  return acc.result({ targetRps: shards[0].meta.targetRps })
}
