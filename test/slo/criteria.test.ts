import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import fc from 'fast-check'
import { describeCriterion, evaluateCriterion, parseCriterion, type Criterion } from '../../src/slo/criteria.js'
import { SLO_METRICS, type SloMetric } from '../../src/slo/metrics.js'
import { PeakcastError } from '../../src/util/errors.js'

describe('criteria grammar', () => {
  const valid: [string, SloMetric, Partial<Criterion>][] = [
    ['< 300', 'p95(latency_ms)', { kind: 'absolute', op: '<', limit: 300 }],
    ['<300', 'p99(latency_ms)', { kind: 'absolute', op: '<', limit: 300 }],
    ['<= 250ms', 'p50(latency_ms)', { kind: 'absolute', op: '<=', limit: 250 }],
    ['<= 1.5s', 'max(latency_ms)', { kind: 'absolute', op: '<=', limit: 1500 }],
    ['< 1%', 'error_rate', { kind: 'absolute', op: '<', limit: 0.01 }],
    ['<= 0.5 %', 'error_rate', { kind: 'absolute', op: '<=', limit: 0.005 }],
    ['>= 1000', 'throughput_rps', { kind: 'absolute', op: '>=', limit: 1000 }],
    ['> 10rps', 'throughput_rps', { kind: 'absolute', op: '>', limit: 10 }],
    ['>= 95% of target', 'throughput_rps', { kind: 'ofTarget', op: '>=', fraction: 0.95 }],
    ['<= +10%', 'p95(latency_ms)', { kind: 'relative', op: '<=', change: 10, percent: true }],
    ['>= -5%', 'throughput_rps', { kind: 'relative', op: '>=', change: -5, percent: true }],
    ['<= +50ms', 'mean(latency_ms)', { kind: 'relative', op: '<=', change: 50, percent: false }],
    ['<= +0.2s', 'p90(latency_ms)', { kind: 'relative', op: '<=', change: 200, percent: false }],
    ['<= +20%', 'error_rate', { kind: 'relative', op: '<=', change: 20, percent: true }]
  ]
  test.each(valid)('%s for %s', (text, metric, expected) => {
    expect(parseCriterion(text, metric)).toMatchObject(expected)
  })

  const invalid: [string, SloMetric, RegExp][] = [
    ['300', 'p95(latency_ms)', /not understood/],
    ['== 300', 'p95(latency_ms)', /not understood/],
    ['< fast', 'p95(latency_ms)', /not understood/],
    ['< 300 ms please', 'p95(latency_ms)', /not understood/],
    ['< 1%', 'p95(latency_ms)', /latency is in ms/],
    ['< 5rps', 'p95(latency_ms)', /latency is in ms/],
    ['< 1', 'error_rate', /needs a percentage/],
    ['>= 95%', 'throughput_rps', /bare percentage/],
    ['< 95% of target', 'p95(latency_ms)', /throughput_rps only/],
    ['>= +95% of target', 'throughput_rps', /sign/],
    ['>= 95 of target', 'throughput_rps', /percentage before 'of target'/]
  ]
  test.each(invalid)('rejects %s for %s', (text, metric, why) => {
    const place = { file: 'slo.yaml', line: 7, field: 'objectives[2].pass' }
    let err: unknown
    try {
      parseCriterion(text, metric, place)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(PeakcastError)
    const message = (err as Error).message
    expect(message).toMatch(why)
    expect(message.startsWith('slo.yaml:7 objectives[2].pass: ')).toBe(true)
    expect(message).toContain("expected e.g. '< 300' or '<= +10%'")
  })

  test('the schema pattern accepts every string the parser reads for some metric', () => {
    const schema = JSON.parse(readFileSync(resolve('schemas/slo.schema.json'), 'utf8'))
    const pattern = new RegExp(schema.definitions.criterion.pattern)
    const piece = fc.constantFrom('<', '<=', '>', '>=', '=', ' ', '+', '-', '1', '0', '.', '5', '%', 'ms', 's', 'rps', 'of target', 'x')
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), pieces => {
        const text = pieces.join('')
        const parses = SLO_METRICS.some(m => {
          try {
            parseCriterion(text, m)
            return true
          } catch {
            return false
          }
        })
        // the schema is a shape check: whatever parses must pass it
        if (parses) expect(pattern.test(text)).toBe(true)
      }),
      { numRuns: 3000 }
    )
  })
})

describe('evaluateCriterion', () => {
  const ops = ['<', '<=', '>', '>='] as const
  const holds = (a: number, op: (typeof ops)[number], b: number) =>
    op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b

  test('absolute limits compare the value with the limit', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ops), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 10000 }), (op, limit, actual) => {
        const out = evaluateCriterion(parseCriterion(`${op} ${limit}`, 'p95(latency_ms)'), actual)
        expect(out.ok).toBe(holds(actual, op, limit))
        expect(out.threshold).toBe(limit)
        expect(out.deltaPercent).toBeCloseTo(((actual - limit) / limit) * 100, 9)
      })
    )
  })

  test('relative limits scale the baseline', () => {
    fc.assert(
      fc.property(fc.integer({ min: -50, max: 100 }), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: 4000 }), (change, baseline, actual) => {
        const text = `<= ${change >= 0 ? '+' : '-'}${Math.abs(change)}%`
        const out = evaluateCriterion(parseCriterion(text, 'p95(latency_ms)'), actual, { baseline })
        const threshold = baseline * (1 + change / 100)
        expect(out.threshold).toBeCloseTo(threshold, 9)
        expect(out.ok).toBe(actual <= threshold)
        expect(out.deltaPercent).toBeCloseTo(((actual - baseline) / baseline) * 100, 9)
      })
    )
  })

  test('a +25% regression trips "<= +10%" and a +5% one does not', () => {
    const c = parseCriterion('<= +10%', 'p95(latency_ms)')
    expect(evaluateCriterion(c, 250, { baseline: 200 })).toMatchObject({ ok: false, deltaPercent: 25 })
    expect(evaluateCriterion(c, 210, { baseline: 200 })).toMatchObject({ ok: true, deltaPercent: 5 })
  })

  test('"% of target" uses the target rate', () => {
    const c = parseCriterion('>= 95% of target', 'throughput_rps')
    expect(evaluateCriterion(c, 940, { target: 1000 })).toMatchObject({ ok: false, threshold: 950 })
    expect(evaluateCriterion(c, 960, { target: 1000 })).toMatchObject({ ok: true, threshold: 950 })
  })

  test('without a baseline or target the criterion passes and says why', () => {
    expect(evaluateCriterion(parseCriterion('<= +10%', 'p95(latency_ms)'), 999)).toMatchObject({ ok: true, skipped: 'no-baseline', threshold: null })
    expect(evaluateCriterion(parseCriterion('>= 95% of target', 'throughput_rps'), 1)).toMatchObject({ ok: true, skipped: 'no-target' })
  })

  test('describes criteria with their unit', () => {
    expect(describeCriterion(parseCriterion('<300', 'p95(latency_ms)'), 'ms')).toBe('< 300 ms')
    expect(describeCriterion(parseCriterion('< 1.5s', 'p95(latency_ms)'), 'ms')).toBe('< 1500 ms')
    expect(describeCriterion(parseCriterion('< 0.5%', 'error_rate'), 'ratio')).toBe('< 0.5%')
    expect(describeCriterion(parseCriterion('<=+10%', 'p95(latency_ms)'), 'ms')).toBe('<= +10%')
  })
})
