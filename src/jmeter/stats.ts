/** Exact results of a load test, per label and in total, as computed from a JTL. */

export interface LabelStats {
  label: string
  count: number
  errors: number
  /** errors / count, 0..1 */
  errorRate: number
  /** elapsed ms, exact (nearest-rank) percentiles */
  min: number
  mean: number
  p50: number
  p90: number
  p95: number
  p99: number
  max: number
  /** count / run duration (first sample start → last sample end), per second */
  throughputRps: number
}

export interface RunStats {
  total: LabelStats
  /** sorted by label */
  labels: LabelStats[]
  /** epoch ms: first sample start, last sample end */
  startMs: number
  endMs: number
  /** target arrival rate, when known, and achieved throughput / target */
  targetRps?: number
  achievedRatio?: number
}
