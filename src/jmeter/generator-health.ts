/**
 * Was the load generator, not the service, the limit? If JMeter could not send the target rate
 * while the service stayed fast, or the engine's CPU was saturated, the results understate what
 * was asked for: say so, and how many shards would carry the load.
 */
import type { RunStats } from './stats.js'

/** Below this share of the target rate the run did not deliver the workload. */
export const ACHIEVED_MIN_RATIO = 0.95
/** Above this engine CPU, JMeter's own timing (and so latency) is no longer trustworthy. */
export const CPU_SATURATED_PERCENT = 90

export interface GeneratorHealthInput {
  stats: RunStats
  targetRps?: number
  /** JMeter engines the run was split over */
  shards: number
  /** peak CPU of the busiest engine, when the runner measured it */
  cpu?: { maxPercent: number }
  /** the service's latency met its objectives (evaluate.ts latencyHealthy) */
  latencyHealthy: boolean
}

export interface GeneratorHealth {
  bottleneck: boolean
  reason: string
  recommendedShards: number
  achievedRps: number
  /** achieved / target; undefined without a target */
  achievedRatio?: number
}

export function generatorHealth(input: GeneratorHealthInput): GeneratorHealth {
  const { stats, targetRps, shards, cpu, latencyHealthy } = input
  const achievedRps = stats.total.throughputRps
  const hasTarget = targetRps !== undefined && targetRps > 0
  const ratio = hasTarget ? achievedRps / targetRps : undefined
  const base = { achievedRps, ...(ratio !== undefined ? { achievedRatio: ratio } : {}) }
  const rate = hasTarget ? `${achievedRps.toFixed(1)} rps = ${pct(ratio ?? 0)} of the ${targetRps.toFixed(1)} rps target` : `${achievedRps.toFixed(1)} rps`
  // shards needed to reach the target at the rate each engine managed; at least one more
  const needed = (): number =>
    Math.max(shards + 1, hasTarget && achievedRps > 0 ? Math.ceil((shards * targetRps) / achievedRps) : shards + 1)

  if (cpu && cpu.maxPercent > CPU_SATURATED_PERCENT) {
    return {
      ...base,
      bottleneck: true,
      reason: `load generator CPU peaked at ${cpu.maxPercent.toFixed(0)}% (achieved ${rate}): results may understate the service; run more shards`,
      recommendedShards: needed()
    }
  }
  if (ratio === undefined) {
    return { ...base, bottleneck: false, reason: `achieved ${rate}; no target rate to compare with`, recommendedShards: shards }
  }
  if (stats.total.count === 0) {
    return { ...base, bottleneck: false, reason: 'no samples were recorded', recommendedShards: shards }
  }
  if (ratio < ACHIEVED_MIN_RATIO) {
    if (latencyHealthy) {
      return {
        ...base,
        bottleneck: true,
        reason: `achieved ${rate} while latency stayed healthy: the load generator, not the service, was the limit`,
        recommendedShards: needed()
      }
    }
    return {
      ...base,
      bottleneck: false,
      reason: `achieved ${rate} and latency was unhealthy: the service, not the load generator, is the likely limit`,
      recommendedShards: shards
    }
  }
  return { ...base, bottleneck: false, reason: `achieved ${rate}`, recommendedShards: shards }
}

function pct(r: number): string {
  return `${(r * 100).toFixed(1)}%`
}
