import { generatorHealth } from '../../src/jmeter/generator-health.js'
import { parseCriterion } from '../../src/slo/criteria.js'
import { evaluateSlo, latencyHealthy } from '../../src/slo/evaluate.js'
import type { SloMetric } from '../../src/slo/metrics.js'
import { MAX_ENDPOINT_ROWS, checkRunOutput, renderResultsMarkdown } from '../../src/slo/report.js'
import type { Slo } from '../../src/slo/slo.js'
import { nearestRank, runStats, spread } from '../fixtures/slo/run-stats.js'

const o = (metric: SloMetric, pass: string, extra: { endpoint?: string; key?: boolean; warning?: string } = {}) => ({
  metric,
  pass: parseCriterion(pass, metric),
  ...(extra.warning ? { warning: parseCriterion(extra.warning, metric) } : {}),
  ...(extra.endpoint ? { endpoint: extra.endpoint } : {}),
  key: extra.key ?? false,
  weight: 1
})

const slo: Slo = {
  objectives: [o('p95(latency_ms)', '< 300', { key: true, warning: '< 400' }), o('error_rate', '< 1%'), o('p95(latency_ms)', '< 300', { endpoint: '*' })],
  comparison: { runs: 5, include: 'pass' },
  totalScore: { pass: 90, warning: 75 }
}

const cartMs = spread(400, 200, 600)
function input(cart = cartMs) {
  const stats = runStats(
    [
      { label: 'GET /products/{id}', elapsed: spread(600, 40, 180) },
      { label: 'POST /cart', elapsed: cart, errors: 2 }
    ],
    { durationS: 2, targetRps: 510 }
  )
  const result = evaluateSlo(slo, stats)
  const health = generatorHealth({ stats, targetRps: 510, shards: 1, latencyHealthy: latencyHealthy(result) })
  return { service: 'checkout-api', stats, slo: result, health, runUrl: 'https://github.com/o/r/actions/runs/42', marker: 'peakcast-results:checkout-api' }
}

/** cells of a Markdown table row, splitting on unescaped pipes */
const cells = (row: string) => row.replace(/^\||\|$/g, '').split(/(?<!\\)\|/)

function tableRows(md: string, header: string): string[] {
  const lines = md.split('\n')
  const start = lines.findIndex(l => l.startsWith(header))
  const rows: string[] = []
  for (let i = start; i < lines.length && lines[i].startsWith('|'); i++) rows.push(lines[i])
  return rows
}

describe('results report', () => {
  test('byte-stable: the same results give the same bytes', () => {
    const a = renderResultsMarkdown(input())
    const b = renderResultsMarkdown(JSON.parse(JSON.stringify(input())))
    expect(b).toBe(a)
    expect(checkRunOutput(JSON.parse(JSON.stringify(input())))).toEqual(checkRunOutput(input()))
  })

  test('verdict, marker, tables and link', () => {
    const md = renderResultsMarkdown(input())
    const lines = md.split('\n')
    expect(lines[0]).toBe('<!-- peakcast-results:checkout-api -->')
    expect(lines[1]).toBe('## ❌ FAIL — checkout-api load test')
    expect(md).toContain('[Workflow run and JMeter dashboard](https://github.com/o/r/actions/runs/42)')
    expect(renderResultsMarkdown({ ...input(), marker: '<!-- custom -->' }).split('\n')[0]).toBe('<!-- custom -->')

    const endpoints = tableRows(md, '| Endpoint |')
    expect(endpoints).toHaveLength(2 + 2 + 1) // header, alignment, two endpoints, total
    for (const r of endpoints) expect(cells(r)).toHaveLength(7)
    const cart = cells(endpoints.find(r => r.startsWith('| POST /cart'))!).map(c => c.trim())
    const sorted = [...cartMs].sort((x, y) => x - y)
    expect(cart).toEqual([
      'POST /cart',
      '400',
      `${nearestRank(sorted, 50)} ms`,
      `${nearestRank(sorted, 95)} ms`,
      `${nearestRank(sorted, 99)} ms`,
      `${(400 / 2).toFixed(1)} rps`,
      `${((2 / 400) * 100).toFixed(2)}%`
    ])
    const total = cells(endpoints[endpoints.length - 1]).map(c => c.trim())
    expect(total[0]).toBe('**All endpoints**')
    expect(total[1]).toBe('1,000')

    const criteria = tableRows(md, '| | Objective |')
    for (const r of criteria) expect(cells(r)).toHaveLength(6)
    const failing = criteria.filter(r => r.startsWith('| ❌'))
    expect(failing.some(r => r.includes('POST /cart') && r.includes('`< 300 ms`'))).toBe(true)
    const p95 = nearestRank(sorted, 95)
    expect(md).toContain(`${(((p95 - 300) / 300) * 100).toFixed(1)}% above the limit`)
    expect(md).toContain('🔑')
  })

  test('a passing run says so; a healthy generator gets a plain line', () => {
    const md = renderResultsMarkdown(input(spread(400, 100, 250)))
    expect(md.split('\n')[1]).toBe('## ✅ PASS — checkout-api load test')
    expect(md).not.toContain('❌')
    expect(md).toMatch(/^Load generator: achieved /m)
  })

  test('a generator bottleneck is called out with the shards to use', () => {
    const i = input(spread(400, 100, 250))
    const health = generatorHealth({ stats: i.stats, targetRps: 1000, shards: 2, latencyHealthy: true })
    const md = renderResultsMarkdown({ ...i, health })
    expect(md).toContain('> [!WARNING]')
    expect(md).toContain(`Recommended shards: **${Math.ceil((2 * 1000) / 500)}**`)
  })

  test('endpoint names cannot break the tables or inject markup', () => {
    const stats = runStats([{ label: 'GET /a|b <script>*x*', elapsed: [10, 20] }], { durationS: 1 })
    const md = renderResultsMarkdown({ service: 's', stats, slo: evaluateSlo({ ...slo, objectives: [o('p95(latency_ms)', '< 5', { endpoint: '*' })] }, stats), marker: 'm' })
    expect(md).not.toContain('<script>')
    expect(md).not.toContain('*x*')
    for (const r of tableRows(md, '| Endpoint |')) expect(cells(r)).toHaveLength(7)
    const criteria = tableRows(md, '| | Objective |')
    expect(criteria).toHaveLength(3)
    for (const r of criteria) expect(cells(r)).toHaveLength(6)
  })

  test('long endpoint lists are cut', () => {
    const labels = Array.from({ length: MAX_ENDPOINT_ROWS + 20 }, (_, i) => ({ label: `GET /e${String(i).padStart(3, '0')}`, elapsed: [5] }))
    const stats = runStats(labels)
    const md = renderResultsMarkdown({ service: 's', stats, slo: evaluateSlo(slo, stats), marker: 'm' })
    const rows = tableRows(md, '| Endpoint |')
    expect(rows).toHaveLength(2 + MAX_ENDPOINT_ROWS + 1 + 1)
    expect(md).toContain('… 20 more endpoints')
  })

  test('check run: conclusion follows the verdict', () => {
    const failing = checkRunOutput(input())
    expect(failing.conclusion).toBe('failure')
    expect(failing.title).toMatch(/^SLO fail · score \d+\.\d% · \d+ failed/)
    expect(failing.summary).toContain('p95(latency_ms) on POST /cart')
    expect(failing.text).toContain('| Endpoint |')

    expect(checkRunOutput(input(spread(400, 100, 250))).conclusion).toBe('success')
    // one objective in its warning band: half credit, 50%; a warning verdict when the warning bar is 50%
    const warn = input(spread(400, 100, 390))
    const lenient = evaluateSlo({ ...slo, totalScore: { pass: 90, warning: 50 }, objectives: [o('p95(latency_ms)', '< 300', { warning: '< 1000' })] }, warn.stats)
    expect(lenient.verdict).toBe('warning')
    expect(checkRunOutput({ ...warn, slo: lenient }).conclusion).toBe('neutral')
  })
})
