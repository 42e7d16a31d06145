/**
 * What a reviewer of a hand-edited pull request needs (pure: values in, Markdown out): which
 * files are invalid and where, and the effective change of each file against the base branch —
 * parsed values with defaults applied, so reformatting or comment edits show as no change.
 */
import type { FileProblem } from './check-workload.js'
import type { ParamChange, Workload } from './workload.js'
import { paramCell, tableCell } from '../util/markdown.js'

export interface FileReport {
  /** repository-relative path */
  path: string
  kind: 'workload' | 'config' | 'slo'
  /** against the base branch; 'unknown' when there is no base to compare with */
  status: 'added' | 'changed' | 'unchanged' | 'removed' | 'unknown'
  problems: FileProblem[]
  changes: ParamChange[]
  warnings: string[]
}

/** rows per file: enough to review, few enough that several files fit GitHub's comment limit */
const MAX_ROWS = 60

export type Verdict = 'success' | 'neutral' | 'failure'

/** failure: any invalid file; neutral: valid, but a change exceeds its bound; else success. */
export function verdictOf(files: FileReport[]): Verdict {
  if (files.some(f => f.problems.length > 0)) return 'failure'
  return files.some(f => f.warnings.length > 0) ? 'neutral' : 'success'
}

/** One line for a check run title or a log. */
export function headline(files: FileReport[]): string {
  const invalid = files.filter(f => f.problems.length > 0).length
  const warnings = files.reduce((n, f) => n + f.warnings.length, 0)
  if (invalid > 0) return `${invalid} of ${files.length} file(s) invalid`
  if (warnings > 0) return `${files.length} file(s) valid; ${warnings} change(s) beyond the allowed bound`
  return `${files.length} file(s) valid`
}

/** The validate command's report: the sticky comment, the check run summary and the terminal text. */
export function renderValidationReport(input: { files: FileReport[]; base?: string }): string {
  const { files } = input
  const icon = { success: '✅', neutral: '⚠️', failure: '❌' }[verdictOf(files)]
  const out: string[] = [`## Peakcast validation ${icon} ${headline(files)}`, '']

  const invalid = files.filter(f => f.problems.length > 0)
  if (invalid.length > 0) {
    out.push('### Problems', '')
    for (const f of invalid) for (const p of f.problems) out.push(`- ${problemLine(p)}`)
    out.push('')
  }

  out.push(input.base ? `### Effective changes against \`${code(input.base)}\`` : '### Files checked', '')
  const touched = files.filter(f => f.status !== 'unchanged')
  if (input.base && touched.length === 0) out.push('No file differs from the base branch in effect.', '')
  for (const f of input.base ? touched : files) out.push(...fileSection(f), '')
  const unchanged = files.filter(f => f.status === 'unchanged')
  if (input.base && unchanged.length > 0) out.push(`Unchanged in effect: ${unchanged.map(f => `\`${code(f.path)}\``).join(', ')}.`, '')
  return `${out.join('\n').trimEnd()}\n`
}

/** The forecast command's check run summary for one regenerated workload. */
export function renderWorkloadCheckSummary(file: FileReport, jmxFile: string): string {
  const out: string[] = []
  if (file.problems.length > 0) {
    out.push('### Problems', '', ...file.problems.map(p => `- ${problemLine(p)}`), '')
  } else {
    out.push(`- \`${code(file.path)}\` passes the workload schema`, `- \`${code(jmxFile)}\` is what the YAML renders to`, '')
  }
  out.push(...fileSection(file))
  return `${out.join('\n').trimEnd()}\n`
}

function fileSection(f: FileReport): string[] {
  const status = { added: 'new file', changed: 'changed', unchanged: 'unchanged', removed: 'removed', unknown: 'checked' }[f.status]
  const out = [`#### \`${code(f.path)}\` (${status}${f.problems.length > 0 ? ', invalid' : ''})`, '']
  for (const w of f.warnings) out.push(`> [!WARNING]\n> ${w.replace(/\n/g, '\n> ')}`, '')
  if (f.status === 'removed') {
    out.push(f.kind === 'workload' ? 'The load test no longer runs this workload.' : 'Removed.')
    return out
  }
  if (f.status === 'unknown') {
    out.push(f.problems.length > 0 ? 'Invalid: see the problems above.' : 'Valid.')
    return out
  }
  if (f.changes.length === 0) {
    out.push(f.problems.length > 0 ? 'Fix the problems above to see its effective change.' : 'No effective change.')
    return out
  }
  out.push('| Parameter | Old | New | Change |', '|---|---:|---:|---:|')
  for (const c of f.changes.slice(0, MAX_ROWS)) out.push(`| \`${tableCell(c.path)}\` | ${paramCell(c.old)} | ${paramCell(c.new)} | ${percent(c.changePercent)} |`)
  if (f.changes.length > MAX_ROWS) out.push('', `… and ${f.changes.length - MAX_ROWS} more; the file diff shows all of them.`)
  if (f.kind === 'config') out.push('', 'The next forecast run regenerates the workloads from this configuration.')
  return out
}

/**
 * The leaf values that differ between two parsed documents, as dotted paths. Lists of named
 * items (services, endpoints, objectives with a name) are keyed by name, so reordering is no change.
 */
export function valueChanges(old: unknown, next: unknown): ParamChange[] {
  const before = old === null ? new Map<string, string | number>() : flatten(old)
  const after = flatten(next)
  const changes: ParamChange[] = []
  for (const [path, v] of after) {
    const o = before.get(path)
    if (o === v) continue
    changes.push({ path, old: o ?? null, new: v, changePercent: typeof o === 'number' && typeof v === 'number' && o !== 0 ? ((v - o) / o) * 100 : null, why: 'edited' })
  }
  for (const [path, o] of before) if (!after.has(path)) changes.push({ path, old: o, new: null, changePercent: null, why: 'removed' })
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** What diffWorkloads already shows per reviewed parameter; every other field is listed by valueChanges. */
const REVIEWED = [/^forecast\.peak\.(day|hour|rps\.p90)$/, /^test\.(targetRps|threads|duration|rampUp)$/, /^test\.thinkTime\./, /^endpoints\[.*\]\.(name|method|path|weight)$/]

/**
 * A workload's effective change: the reviewed parameters as diffWorkloads words them, then any
 * other field that differs (headroom, base URL, a request body, profiles…). For a new file only
 * the reviewed parameters: listing every field of it would bury them.
 */
export function workloadChanges(base: Workload | null, next: Workload, reviewed: ParamChange[]): ParamChange[] {
  if (base === null) return reviewed
  return [...reviewed, ...valueChanges(base, next).filter(c => !REVIEWED.some(re => re.test(c.path)))]
}

function flatten(value: unknown, prefix = '', out = new Map<string, string | number>()): Map<string, string | number> {
  if (value === undefined) return out
  if (Array.isArray(value)) {
    const named = value.every(x => x !== null && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string')
    value.forEach((x, i) => flatten(x, `${prefix}[${named ? (x as { name: string }).name : i}]`, out))
    if (value.length === 0) out.set(prefix, '[]')
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out)
  } else {
    out.set(prefix, typeof value === 'number' ? value : String(value))
  }
  return out
}

function problemLine(p: FileProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}` : p.file
  return `\`${code(where)}\`${p.field ? ` \`${code(p.field)}\`` : ''}: ${tableCell(p.message.replace(/\r?\n\s*/g, ' '))}`
}

function percent(p: number | null): string {
  if (p === null) return '—'
  const s = p.toFixed(1)
  return `${p > 0 && s !== '0.0' ? '+' : ''}${s === '-0.0' ? '0.0' : s}%`
}


/** Keeps a value inside one inline code span. */
function code(s: string): string {
  return s.replace(/`/g, "'")
}
