import type { Criterion } from './criteria.js'
import type { SloMetric } from './metrics.js'

/** slo.yaml, owned by humans, as held in memory (see load-slo.ts and schemas/slo.schema.json). */
export interface SloObjective {
  metric: SloMetric
  /** absent: the run's total; "*": every endpoint on its own; otherwise one endpoint label */
  endpoint?: string
  pass: Criterion
  /** a looser band: failing `pass` but meeting this gives a warning instead of a failure */
  warning?: Criterion
  /** a failing key objective fails the run whatever the total score */
  key: boolean
  weight: number
}

export interface Slo {
  objectives: SloObjective[]
  /** which earlier runs make the baseline for relative criteria */
  comparison: { runs: number; include: 'pass' | 'all' }
  /** minimum total score, in percent, for a pass and for a warning */
  totalScore: { pass: number; warning: number }
}

export const SLO_DEFAULTS = {
  comparison: { runs: 5, include: 'pass' as const },
  totalScore: { pass: 90, warning: 75 }
}
