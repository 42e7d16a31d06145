/** slo.yaml → Slo: schema-checked (schemas/slo.schema.json), criteria parsed, file:line on every error. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseYamlSource, validateSource } from '../config/yaml-validate.js'
import { PeakcastError } from '../util/errors.js'
import { actionRoot } from '../util/paths.js'
import { parseCriterion } from './criteria.js'
import type { SloMetric } from './metrics.js'
import { SLO_DEFAULTS, type Slo, type SloObjective } from './slo.js'

/**
 * In YAML a value starting with ">" is a folded block: `pass: >= 95% of target` is a syntax
 * error. Name the real cause instead of the parser's.
 */
function parseYamlOrExplain(text: string, file: string): ReturnType<typeof parseYamlSource> {
  try {
    return parseYamlSource(text, file)
  } catch (err) {
    const lines = text.split('\n')
    const i = lines.findIndex(l => /(^|[\s{,-])(pass|warning)\s*:\s*>/.test(l))
    if (i < 0) throw err
    const field = /(pass|warning)\s*:/.exec(lines[i])?.[1]
    throw new PeakcastError(`criterion starting with ">" must be quoted`, { file, line: i + 1, field }, `write it as ${field}: ">= 95% of target"`)
  }
}

/** slo.yaml as written, after the schema accepted it. */
interface RawSlo {
  objectives: {
    metric: SloMetric
    endpoint?: string
    pass: string
    warning?: string
    key?: boolean
    weight?: number
  }[]
  comparison?: { runs?: number; include?: 'pass' | 'all' }
  totalScore?: { pass?: number | string; warning?: number | string }
}

let schema: object | undefined
function sloSchema(): object {
  schema ??= JSON.parse(readFileSync(join(actionRoot(), 'schemas', 'slo.schema.json'), 'utf8')) as object
  return schema
}

export function loadSlo(path: string): Slo {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new PeakcastError(`cannot read the SLO file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file: path }, 'create slo.yaml next to peakcast.yaml or point the `slo` input at it')
  }
  return parseSlo(text, path)
}

export function parseSlo(text: string, file: string): Slo {
  const source = validateSource<RawSlo>(parseYamlOrExplain(text, file), sloSchema())
  const raw = source.value
  const placeOf = (path: (string | number)[], field: string) => ({ file, line: source.lineOf(path), field })

  const objectives: SloObjective[] = raw.objectives.map((o, i) => {
    const at = (k: string) => placeOf(['objectives', i, k], `objectives[${i}].${k}`)
    return {
      metric: o.metric,
      ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
      pass: parseCriterion(o.pass, o.metric, at('pass')),
      ...(o.warning !== undefined ? { warning: parseCriterion(o.warning, o.metric, at('warning')) } : {}),
      key: o.key ?? false,
      weight: o.weight ?? 1
    }
  })

  const score = (k: 'pass' | 'warning') => {
    const v = raw.totalScore?.[k]
    if (v === undefined) return SLO_DEFAULTS.totalScore[k]
    const n = typeof v === 'number' ? v : Number(v.replace('%', '').trim())
    if (n > 100) throw new PeakcastError(`score ${v} is above 100%`, placeOf(['totalScore', k], `totalScore.${k}`), 'a percentage such as 90%')
    return n
  }
  const totalScore = { pass: score('pass'), warning: score('warning') }
  if (totalScore.warning > totalScore.pass) {
    throw new PeakcastError(
      `warning score ${totalScore.warning}% is above the pass score ${totalScore.pass}%`,
      placeOf(['totalScore', 'warning'], 'totalScore.warning'),
      'the warning score is the lower bar, e.g. {pass: 90%, warning: 75%}'
    )
  }
  return {
    objectives,
    comparison: {
      runs: raw.comparison?.runs ?? SLO_DEFAULTS.comparison.runs,
      include: raw.comparison?.include ?? SLO_DEFAULTS.comparison.include
    },
    totalScore
  }
}
