import type { LabelStats } from '../jmeter/stats.js'

/** The metrics an SLO objective can name, as written in slo.yaml. */
export const SLO_METRICS = [
  'p50(latency_ms)',
  'p90(latency_ms)',
  'p95(latency_ms)',
  'p99(latency_ms)',
  'max(latency_ms)',
  'mean(latency_ms)',
  'error_rate',
  'throughput_rps'
] as const

export type SloMetric = (typeof SLO_METRICS)[number]

/** Which number of a LabelStats a metric reads, and how it is written. */
export type MetricUnit = 'ms' | 'ratio' | 'rps'

export type MetricField = 'p50' | 'p90' | 'p95' | 'p99' | 'max' | 'mean' | 'errorRate' | 'throughputRps'

interface MetricInfo {
  field: MetricField
  unit: MetricUnit
}

const INFO: Record<SloMetric, MetricInfo> = {
  'p50(latency_ms)': { field: 'p50', unit: 'ms' },
  'p90(latency_ms)': { field: 'p90', unit: 'ms' },
  'p95(latency_ms)': { field: 'p95', unit: 'ms' },
  'p99(latency_ms)': { field: 'p99', unit: 'ms' },
  'max(latency_ms)': { field: 'max', unit: 'ms' },
  'mean(latency_ms)': { field: 'mean', unit: 'ms' },
  error_rate: { field: 'errorRate', unit: 'ratio' },
  throughput_rps: { field: 'throughputRps', unit: 'rps' }
}

export function isSloMetric(name: string): name is SloMetric {
  return (SLO_METRICS as readonly string[]).includes(name)
}

export function metricInfo(metric: SloMetric): MetricInfo {
  return INFO[metric]
}

export function metricValue(metric: SloMetric, stats: Pick<LabelStats, MetricField>): number {
  return stats[INFO[metric].field]
}

export function isLatencyMetric(metric: SloMetric): boolean {
  return INFO[metric].unit === 'ms'
}

/** A value in the metric's own unit, as a reader wants it: "412 ms", "1.25%", "1480.2 rps". */
export function formatMetricValue(unit: MetricUnit, value: number): string {
  switch (unit) {
    case 'ms':
      return `${Number.isInteger(value) ? String(value) : value.toFixed(1)} ms`
    case 'ratio':
      return `${(value * 100).toFixed(2)}%`
    case 'rps':
      return `${value.toFixed(1)} rps`
  }
}
