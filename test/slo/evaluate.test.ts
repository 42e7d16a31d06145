import { parseCriterion } from '../../src/slo/criteria.js'
import { evaluateSlo, latencyHealthy } from '../../src/slo/evaluate.js'
import { appendRun, baselineFrom, parseHistory, recordFromRun } from '../../src/slo/history.js'
import type { SloMetric } from '../../src/slo/metrics.js'
import type { Slo, SloObjective } from '../../src/slo/slo.js'
import { nearestRank, runStats, spread } from '../fixtures/slo/run-stats.js'

function objective(metric: SloMetric, pass: string, more: Partial<Omit<SloObjective, 'pass' | 'warning'>> & { warning?: string } = {}): SloObjective {
  const { warning, ...rest } = more
  return {
    metric,
    pass: parseCriterion(pass, metric),
    ...(warning ? { warning: parseCriterion(warning, metric) } : {}),
    key: false,
    weight: 1,
    ...rest
  }
}

function slo(objectives: SloObjective[], totalScore = { pass: 90, warning: 75 }): Slo {
  return { objectives, comparison: { runs: 5, include: 'pass' }, totalScore }
}

/** A run of two endpoints; `cartMs` is where POST /cart's latencies lie. */
function run(cartMs: [number, number], opts: { cartErrors?: number; durationS?: number; targetRps?: number } = {}) {
  return runStats(
    [
      { label: 'GET /products/{id}', elapsed: spread(600, 40, 180) },
      { label: 'POST /cart', elapsed: spread(400, cartMs[0], cartMs[1]), errors: opts.cartErrors ?? 0 }
    ],
    { durationS: opts.durationS ?? 1, targetRps: opts.targetRps ?? 1000 }
  )
}

const designSlo = () =>
  slo([
    objective('p95(latency_ms)', '< 300', { warning: '< 400', key: true }),
    objective('error_rate', '< 1%'),
    objective('throughput_rps', '>= 95% of target'),
    objective('p95(latency_ms)', '<= +10%', { endpoint: 'POST /cart' })
  ])

describe('evaluateSlo', () => {
  test('a healthy run passes every objective with a full score', () => {
    const result = evaluateSlo(designSlo(), run([50, 250]))
    expect(result.verdict).toBe('pass')
    expect(result.score).toBe(100)
    expect(result.problems).toEqual([])
    // the relative objective had nothing to compare with: a pass with a note
    expect(result.notes).toHaveLength(1)
    expect(result.notes[0]).toMatch(/^p95\(latency_ms\) on POST \/cart = \d+ ms: no baseline yet/)
  })

  test('a latency breach fails, naming the criterion, the endpoint and by how much', () => {
    const stats = run([200, 600])
    const cart = stats.labels.find(l => l.label === 'POST /cart')!
    const p95 = nearestRank(spread(400, 200, 600), 95)
    expect(cart.p95).toBe(p95)
    const result = evaluateSlo(slo([objective('p95(latency_ms)', '< 300', { endpoint: 'POST /cart' })]), stats)
    expect(result.verdict).toBe('fail')
    const over = (((p95 - 300) / 300) * 100).toFixed(1)
    expect(result.problems).toEqual([`p95(latency_ms) on POST /cart = ${p95} ms, limit < 300 ms: ${over}% over`])
  })

  test('a +25% regression against the baseline history trips "<= +10%"', () => {
    // five earlier passing runs whose POST /cart p95 has median 200 ms, one failing run that must not count
    const earlier = [
      { id: 'r1', hi: 210, verdict: 'pass' },
      { id: 'r2', hi: 190, verdict: 'pass' },
      { id: 'r3', hi: 900, verdict: 'fail' },
      { id: 'r4', hi: 200, verdict: 'pass' },
      { id: 'r5', hi: 205, verdict: 'pass' },
      { id: 'r6', hi: 195, verdict: 'pass' }
    ] as const
    let text = ''
    for (const e of earlier) {
      const stats = runStats([{ label: 'POST /cart', elapsed: spread(100, e.hi, e.hi) }])
      text = appendRun(text, recordFromRun({ service: 'checkout', runId: e.id, commit: 'abc', time: '2026-01-01T00:00:00Z' }, stats, { verdict: e.verdict, score: 100 }))
    }
    const baseline = baselineFrom(parseHistory(text, 'checkout.jsonl'), { runs: 5, include: 'pass' })
    expect(baseline?.labels['POST /cart'].p95).toBe(200)

    const current = runStats([{ label: 'POST /cart', elapsed: spread(100, 250, 250) }])
    const result = evaluateSlo(slo([objective('p95(latency_ms)', '<= +10%', { endpoint: 'POST /cart' })]), current, { baseline })
    expect(result.verdict).toBe('fail')
    expect(result.baselineRuns).toBe(5)
    expect(result.problems[0]).toBe('p95(latency_ms) on POST /cart = 250 ms vs baseline 200 ms (median of 5 runs): +25.0%, limit <= +10%')

    const fine = runStats([{ label: 'POST /cart', elapsed: spread(100, 215, 215) }])
    expect(evaluateSlo(slo([objective('p95(latency_ms)', '<= +10%', { endpoint: 'POST /cart' })]), fine, { baseline }).verdict).toBe('pass')
  })

  test('between the pass and warning limits an objective warns and earns half its weight', () => {
    const stats = run([300, 380]) // POST /cart p95 between 300 and 400
    const result = evaluateSlo(
      slo([objective('p95(latency_ms)', '< 300', { endpoint: 'POST /cart', warning: '< 400' }), objective('error_rate', '< 1%')]),
      stats
    )
    expect(result.objectives.map(o => o.status)).toEqual(['warning', 'pass'])
    expect(result.score).toBe(((0.5 + 1) / 2) * 100)
    expect(result.verdict).toBe('warning')
    expect(result.problems[0]).toMatch(/; within the warning band < 400 ms$/)
  })

  test('weights decide the score, the score decides the verdict', () => {
    const stats = run([50, 250], { cartErrors: 40 }) // 40 of 1000 requests fail: 4%
    const objectives = [
      objective('p95(latency_ms)', '< 300', { weight: 3 }),
      objective('error_rate', '< 1%', { weight: 1 }),
      objective('p99(latency_ms)', '< 1000', { weight: 6 })
    ]
    const result = evaluateSlo(slo(objectives), stats)
    expect(result.objectives.map(o => o.status)).toEqual(['pass', 'fail', 'pass'])
    expect(result.score).toBeCloseTo(((3 + 6) / (3 + 1 + 6)) * 100, 9)
    expect(result.verdict).toBe('pass') // 90% >= 90%
    expect(evaluateSlo(slo(objectives, { pass: 95, warning: 85 }), stats).verdict).toBe('warning')
    expect(evaluateSlo(slo(objectives, { pass: 99, warning: 95 }), stats).verdict).toBe('fail')
  })

  test('a failing key objective fails the run whatever the score', () => {
    const stats = run([50, 250], { cartErrors: 40 })
    const objectives = [objective('error_rate', '< 1%', { key: true, weight: 1 }), objective('p95(latency_ms)', '< 300', { weight: 99 })]
    const result = evaluateSlo(slo(objectives), stats)
    expect(result.score).toBe(99)
    expect(result.keyFailed).toBe(true)
    expect(result.verdict).toBe('fail')
  })

  test('"*" checks every endpoint; the objective takes the worst', () => {
    const stats = run([200, 600])
    const result = evaluateSlo(slo([objective('p95(latency_ms)', '< 300', { endpoint: '*' })]), stats)
    const [o] = result.objectives
    expect(o.checks.map(c => [c.endpoint, c.status])).toEqual([
      ['GET /products/{id}', 'pass'],
      ['POST /cart', 'fail']
    ])
    expect(o.status).toBe('fail')
  })

  test('an endpoint missing from the run fails and lists the endpoints there were', () => {
    const result = evaluateSlo(slo([objective('p95(latency_ms)', '< 300', { endpoint: 'DELETE /cart' })]), run([50, 250]))
    expect(result.verdict).toBe('fail')
    expect(result.problems[0]).toBe('p95(latency_ms) on DELETE /cart: no samples in this run, limit < 300 ms (endpoints in the run: GET /products/{id}, POST /cart)')
  })

  test('throughput against the target rate', () => {
    // 1000 requests in 1 s = 1000 rps
    const ok = evaluateSlo(slo([objective('throughput_rps', '>= 95% of target')]), run([50, 250], { targetRps: 1040 }))
    expect(ok.verdict).toBe('pass')
    const short = evaluateSlo(slo([objective('throughput_rps', '>= 95% of target')]), run([50, 250], { targetRps: 1100 }))
    expect(short.verdict).toBe('fail')
    const under = (((1045 - 1000) / 1045) * 100).toFixed(1)
    expect(short.problems[0]).toBe(`throughput_rps overall = 1000.0 rps, limit >= 95% of target (1045.0 rps of 1100.0 rps): ${under}% under`)
  })

  test('latencyHealthy ignores non-latency failures', () => {
    const errorsOnly = evaluateSlo(slo([objective('error_rate', '< 1%'), objective('p95(latency_ms)', '< 300')]), run([50, 250], { cartErrors: 40 }))
    expect(errorsOnly.verdict).toBe('fail')
    expect(latencyHealthy(errorsOnly)).toBe(true)
    const slow = evaluateSlo(slo([objective('p95(latency_ms)', '< 300')]), run([500, 900]))
    expect(latencyHealthy(slow)).toBe(false)
  })
})
