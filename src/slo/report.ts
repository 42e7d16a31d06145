/**
 * The results a reviewer reads: sticky PR comment / job summary (Markdown) and the check run.
 * Pure and byte-stable: the same results give the same bytes (no clock, fixed decimals).
 */
import type { GeneratorHealth } from '../jmeter/generator-health.js'
import type { LabelStats, RunStats } from '../jmeter/stats.js'
import type { CheckResult, SloResult, Status } from './evaluate.js'
import { formatMetricValue, metricInfo } from './metrics.js'

export interface ResultsInput {
  service: string
  stats: RunStats
  slo: SloResult
  /** defaults to stats.targetRps */
  targetRps?: number
  health?: GeneratorHealth
  /** the workflow run, where the JMeter dashboard artifact lives */
  runUrl?: string
}

export interface CheckRunOutput {
  conclusion: 'success' | 'neutral' | 'failure'
  title: string
  summary: string
  text: string
}

/** Long tables are cut so a comment stays well under GitHub's 65,536-character limit. */
export const MAX_ENDPOINT_ROWS = 50
export const MAX_CRITERIA_ROWS = 100
const MAX_PROBLEMS = 10

const ICON: Record<Status, string> = { pass: '✅', warning: '⚠️', fail: '❌' }
const WORD: Record<Status, string> = { pass: 'PASS', warning: 'WARNING', fail: 'FAIL' }

/**
 * `marker` is the hidden line the sticky comment is found by again; a bare id is wrapped into
 * an HTML comment.
 */
export function renderResultsMarkdown(input: ResultsInput & { marker: string }): string {
  const marker = input.marker.startsWith('<!--') ? input.marker : `<!-- ${input.marker} -->`
  const out = [marker, `## ${ICON[input.slo.verdict]} ${WORD[input.slo.verdict]} — ${mdText(input.service)} load test`, '']
  out.push(...headline(input), '')
  out.push(...problemList(input.slo))
  out.push('### Endpoints', '', ...endpointTable(input.stats), '')
  out.push('### SLO criteria', '', ...criteriaTable(input.slo), '')
  out.push(...healthNote(input.health))
  if (input.runUrl) out.push(`[Workflow run and JMeter dashboard](${input.runUrl})`, '')
  out.push('<sub>Peakcast · percentiles are exact, computed from every sample in the JTL</sub>')
  return `${out.join('\n')}\n`
}

export function checkRunOutput(input: ResultsInput): CheckRunOutput {
  const { slo } = input
  const conclusion = slo.verdict === 'pass' ? 'success' : slo.verdict === 'warning' ? 'neutral' : 'failure'
  const checks = slo.objectives.flatMap(o => o.checks)
  const failed = checks.filter(c => c.status === 'fail').length
  const warned = checks.filter(c => c.status === 'warning').length
  const counts = [failed ? `${failed} failed` : '', warned ? `${warned} warning` : ''].filter(Boolean).join(', ')
  const title = `SLO ${slo.verdict} · score ${slo.score.toFixed(1)}%${counts ? ` · ${counts}` : ''}`
  const summary = [...headline(input), '', ...problemList(slo), ...healthNote(input.health)].join('\n').trimEnd()
  const text = ['### Endpoints', '', ...endpointTable(input.stats), '', '### SLO criteria', '', ...criteriaTable(slo)].join('\n')
  return { conclusion, title, summary: `${summary}\n`, text: `${text}\n` }
}

function headline(input: ResultsInput): string[] {
  const { slo, stats } = input
  const target = input.targetRps ?? stats.targetRps
  const t = stats.total
  const parts = [
    `**Score ${slo.score.toFixed(1)}%** (pass ≥ ${trim(slo.totalScore.pass)}%, warning ≥ ${trim(slo.totalScore.warning)}%)`,
    `${group(t.count)} requests in ${duration(stats.endMs - stats.startMs)}`,
    target !== undefined && target > 0
      ? `${t.throughputRps.toFixed(1)} rps of ${target.toFixed(1)} rps target (${((t.throughputRps / target) * 100).toFixed(1)}%)`
      : `${t.throughputRps.toFixed(1)} rps`,
    `${(t.errorRate * 100).toFixed(2)}% errors`
  ]
  const lines = [parts.join(' · ')]
  if (slo.keyFailed) lines.push('', 'A 🔑 key objective failed, so the run fails whatever the score.')
  lines.push(
    '',
    slo.baselineRuns > 0
      ? `Relative criteria compare with the median of the last ${slo.baselineRuns} run${slo.baselineRuns === 1 ? '' : 's'}.`
      : slo.notes.length > 0
        ? 'No baseline yet: relative criteria pass until earlier runs are in the history.'
        : ''
  )
  return trimTrailingBlank(lines)
}

function problemList(slo: SloResult): string[] {
  const problems = slo.objectives.flatMap(o => o.checks).filter(c => c.status !== 'pass')
  if (problems.length === 0) return []
  const shown = problems.slice(0, MAX_PROBLEMS).map(c => `- ${ICON[c.status]} ${mdText(c.message)}`)
  if (problems.length > MAX_PROBLEMS) shown.push(`- … and ${problems.length - MAX_PROBLEMS} more (see the table)`)
  return [...shown, '']
}

function endpointTable(stats: RunStats): string[] {
  const rows = [
    '| Endpoint | Requests | p50 | p95 | p99 | Throughput | Errors |',
    '|:--|--:|--:|--:|--:|--:|--:|'
  ]
  const row = (name: string, l: LabelStats) =>
    `| ${name} | ${group(l.count)} | ${ms(l.p50)} | ${ms(l.p95)} | ${ms(l.p99)} | ${l.throughputRps.toFixed(1)} rps | ${(l.errorRate * 100).toFixed(2)}% |`
  for (const l of stats.labels.slice(0, MAX_ENDPOINT_ROWS)) rows.push(row(cell(l.label), l))
  if (stats.labels.length > MAX_ENDPOINT_ROWS) {
    rows.push(`| … ${stats.labels.length - MAX_ENDPOINT_ROWS} more endpoints in the JMeter dashboard | | | | | | |`)
  }
  rows.push(row('**All endpoints**', stats.total))
  return rows
}

function criteriaTable(slo: SloResult): string[] {
  const rows = ['| | Objective | Endpoint | Actual | Limit | Result |', '|:-:|:--|:--|--:|:--|:--|']
  const all = slo.objectives.flatMap(o => o.checks.map(c => ({ c, key: o.key, weight: o.weight })))
  for (const { c, key, weight } of all.slice(0, MAX_CRITERIA_ROWS)) {
    const unit = metricInfo(c.metric).unit
    const name = `${c.metric}${key ? ' 🔑' : ''}${weight !== 1 ? ` ×${trim(weight)}` : ''}`
    const limit = `\`${c.limit}\`${c.warningLimit ? ` (warn \`${c.warningLimit}\`)` : ''}`
    const actual = c.actual === null ? '—' : formatMetricValue(unit, c.actual)
    rows.push(`| ${ICON[c.status]} | ${name} | ${c.endpoint === null ? 'overall' : cell(c.endpoint)} | ${actual} | ${cell(limit)} | ${resultCell(c)} |`)
  }
  if (all.length > MAX_CRITERIA_ROWS) rows.push(`| | … ${all.length - MAX_CRITERIA_ROWS} more checks | | | | |`)
  return rows
}

function resultCell(c: CheckResult): string {
  const o = c.outcome
  if (!o) return 'no samples'
  if (o.skipped === 'no-baseline') return 'no baseline yet'
  if (o.skipped === 'no-target') return 'no target rate'
  if (o.deltaPercent === null) return c.status === 'pass' ? 'met' : 'missed'
  const d = o.deltaPercent
  if (c.kind === 'relative') {
    return `${d >= 0 ? '+' : '-'}${Math.abs(d).toFixed(1)}% vs baseline ${formatMetricValue(metricInfo(c.metric).unit, o.reference ?? 0)}`
  }
  return `${Math.abs(d).toFixed(1)}% ${d >= 0 ? 'above' : 'below'} the limit`
}

function healthNote(h: GeneratorHealth | undefined): string[] {
  if (!h) return []
  if (h.bottleneck) {
    return [`> [!WARNING]`, `> **Load generator was the bottleneck:** ${mdText(h.reason)}. Recommended shards: **${h.recommendedShards}**.`, '']
  }
  return [`Load generator: ${mdText(h.reason)}.`, '']
}

/** Text from outside (labels, messages) must not break tables or turn into markup. */
function mdText(s: string): string {
  return s
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*[\]|~])/g, '\\$1')
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_') // intraword "_" (latency_ms) is never emphasis
}

function cell(s: string): string {
  // code spans keep their text literal; only the table's own separator needs escaping
  return s.startsWith('`') ? s.replace(/\|/g, '\\|') : mdText(s)
}

function ms(v: number): string {
  return formatMetricValue('ms', v)
}

function group(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

function trim(n: number): string {
  return String(Number(n.toFixed(2)))
}

function duration(msTotal: number): string {
  const s = Math.max(0, Math.round(msTotal / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  return h > 0 ? `${h}h ${m}m ${sec}s` : m > 0 ? `${m}m ${sec}s` : `${sec}s`
}

function trimTrailingBlank(lines: string[]): string[] {
  const out = [...lines]
  while (out.length > 0 && out[out.length - 1] === '') out.pop()
  return out
}
