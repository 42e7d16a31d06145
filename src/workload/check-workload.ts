/**
 * The validation of one workload file (pure: texts in, verdict out), shared by the forecast
 * command's check run and the validate command: the schema, the JMX it renders to against the
 * committed .jmx, and the change against the base workload bounded by maxChangePercent.
 */
import { YamlValidationError, parseYamlSource } from '../config/yaml-validate.js'
import { renderJmx } from '../jmeter/jmx.js'
import { PeakcastError, formatPlace } from '../util/errors.js'
import { diffWorkloads, exceedsBounds } from './diff.js'
import type { ParamChange, Workload } from './workload.js'
import { parseWorkloadYaml } from './workload-yaml.js'

/** A reason a file cannot be merged, at a place a check annotation can point to. */
export interface FileProblem {
  /** repository-relative path */
  file: string
  line?: number
  field?: string
  message: string
}

export interface WorkloadCheck {
  /** null when the file does not parse or breaks the schema */
  workload: Workload | null
  problems: FileProblem[]
  /** the reviewed parameters that differ from the base workload */
  changes: ParamChange[]
  /** changes beyond maxChangePercent, each naming its parameter */
  warnings: string[]
  /** the JMX the YAML renders to (null when the YAML is invalid) */
  jmx: string | null
}

export interface WorkloadCheckInput {
  /** repository-relative path of the YAML, e.g. workloads/demo-api.yaml */
  file: string
  text: string
  /** repository-relative path of the .jmx next to it */
  jmxFile: string
  /** the committed .jmx, or null when there is none */
  committedJmx: string | null
  /** the workload on the base branch, or null when the service is new */
  base: Workload | null
  maxChangePercent: number
  notes?: Record<string, string>
}

export function checkWorkload(input: WorkloadCheckInput): WorkloadCheck {
  const { file } = input
  const empty: WorkloadCheck = { workload: null, problems: [], changes: [], warnings: [], jmx: null }
  let workload: Workload
  try {
    workload = parseWorkloadYaml(input.text, file)
  } catch (err) {
    return { ...empty, problems: problemsOf(err, file) }
  }

  const problems: FileProblem[] = []
  const expected = /^(.*\/)?([^/]+)\.yaml$/.exec(file)?.[2]
  if (expected !== undefined && workload.service !== expected) {
    problems.push({
      file,
      line: parseYamlSource(input.text, file).lineOf(['service']),
      field: 'service',
      message: `service "${workload.service}" does not match the file name: rename the file to ${workload.service}.yaml or set service: ${expected}`
    })
  }

  let jmx: string | null = null
  try {
    jmx = renderJmx(workload)
  } catch (err) {
    problems.push(...problemsOf(err, file))
  }
  if (jmx !== null && input.committedJmx !== jmx) {
    problems.push({
      file: input.jmxFile,
      line: 1,
      message:
        input.committedJmx === null
          ? `missing: ${file} has no JMeter plan next to it; regenerate it with \`peakcast validate --fix\` and commit ${input.jmxFile}`
          : `stale: it does not match what ${file} renders to; regenerate it with \`peakcast validate --fix\` and commit ${input.jmxFile}`
    })
  }

  const changes = diffWorkloads(input.base, workload, input.notes ?? {})
  return { workload, problems, changes, warnings: exceedsBounds(changes, input.maxChangePercent), jmx }
}

/** Every problem an error names, each with its own line where the reader gave one. */
export function problemsOf(err: unknown, file: string): FileProblem[] {
  if (err instanceof YamlValidationError) {
    return err.problems.map(p => ({
      file,
      line: p.line,
      ...(p.field ? { field: p.field } : {}),
      message: `${p.message}${p.expected ? ` (expected ${p.expected})` : ''}`
    }))
  }
  if (err instanceof PeakcastError) {
    const { line, field } = err.place
    // the message starts with the place, which the problem carries on its own
    const prefix = `${formatPlace(err.place)}: `
    const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message
    return [{ file, ...(line !== undefined ? { line } : {}), ...(field ? { field } : {}), message }]
  }
  return [{ file, message: err instanceof Error ? err.message : String(err) }]
}
