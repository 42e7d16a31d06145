import { appendRun, baselineFrom, historyPath, parseHistory, recordFromRun, type HistoryRecord } from '../../src/slo/history.js'
import { PeakcastError } from '../../src/util/errors.js'
import { runStats, spread } from '../fixtures/slo/run-stats.js'

const id = (runId: string) => ({ service: 'checkout-api', runId, commit: `sha-${runId}`, time: '2026-11-27T14:00:00Z' })

function record(runId: string, cartP: number, verdict: 'pass' | 'warning' | 'fail' = 'pass', extraLabel = false): HistoryRecord {
  const labels = [{ label: 'POST /cart', elapsed: spread(50, cartP, cartP), errors: 1 }]
  if (extraLabel) labels.push({ label: 'GET /new', elapsed: spread(10, 5, 5), errors: 0 })
  return recordFromRun(id(runId), runStats(labels, { durationS: 10, targetRps: 6 }), { verdict, score: verdict === 'pass' ? 100 : 50 })
}

describe('results history', () => {
  test('append then parse gives the records back, one JSON line each', () => {
    const a = record('1', 100)
    const b = record('2', 120)
    const text = appendRun(appendRun('', a), b)
    expect(text.split('\n')).toHaveLength(3) // two lines and the final newline
    expect(text.endsWith('\n')).toBe(true)
    expect(parseHistory(text, 'h.jsonl')).toEqual([a, b])
  })

  test('the same record is the same bytes, whatever the key order it was built with', () => {
    const a = record('1', 100)
    const shuffled = Object.fromEntries(Object.entries(a).reverse()) as unknown as HistoryRecord
    expect(appendRun('', shuffled)).toBe(appendRun('', a))
  })

  test('records hold statistics and the given identity only', () => {
    const stats = runStats([{ label: 'POST /cart', elapsed: [1, 2, 3] }])
    // a future LabelStats field (e.g. a sample) must not reach the repository
    ;(stats.labels[0] as unknown as Record<string, unknown>).sampleUrl = 'https://user:pw@example.com/?token=x'
    const r = recordFromRun(id('9'), stats)
    expect(Object.keys(r).sort()).toEqual(['commit', 'durationMs', 'labels', 'runId', 'service', 'time', 'total', 'version'])
    expect(JSON.stringify(r)).not.toContain('token')
    expect(Object.keys(r.labels['POST /cart']).sort()).toEqual(
      ['count', 'errorRate', 'errors', 'max', 'mean', 'min', 'p50', 'p90', 'p95', 'p99', 'throughputRps'].sort()
    )
  })

  test('a re-run with the same run id replaces its earlier record; keep bounds the file', () => {
    let text = ''
    for (const [i, p] of [100, 110, 120, 130].entries()) text = appendRun(text, record(String(i), p))
    text = appendRun(text, record('1', 999))
    expect(parseHistory(text, 'h').map(r => r.runId)).toEqual(['0', '2', '3', '1'])
    expect(parseHistory(text, 'h').find(r => r.runId === '1')?.labels['POST /cart'].p95).toBe(999)
    const kept = appendRun(text, record('5', 1), { keep: 2 })
    expect(parseHistory(kept, 'h').map(r => r.runId)).toEqual(['1', '5'])
  })

  test('a damaged line is reported with file and line', () => {
    const good = appendRun('', record('1', 100))
    const bad = `${good}\n{"version":1,"runId":"x"`
    expect(() => parseHistory(bad, '.peakcast/history/checkout-api.jsonl')).toThrow(PeakcastError)
    expect(() => parseHistory(bad, '.peakcast/history/checkout-api.jsonl')).toThrow(/^\.peakcast\/history\/checkout-api\.jsonl:3: .*invalid JSON/)
    const wrongShape = `${good}${JSON.stringify({ ...record('2', 1), total: { count: 'many' } })}\n`
    expect(() => parseHistory(wrongShape, 'h.jsonl')).toThrow(/^h\.jsonl:2: .*total: field count must be a number/)
    expect(() => parseHistory('{"version":2}\n', 'h.jsonl')).toThrow(/h\.jsonl:1: .*unknown version 2/)
  })

  test('baseline: medians of the last N passing runs, per endpoint', () => {
    const records = [record('a', 50), record('b', 300), record('c', 100, 'fail'), record('d', 200), record('e', 500, 'warning'), record('f', 400)]
    // include pass, last 3 passing: b, d, f → 300, 200, 400
    const onlyPass = baselineFrom(records, { runs: 3, include: 'pass' })!
    expect(onlyPass.runIds).toEqual(['b', 'd', 'f'])
    expect(onlyPass.labels['POST /cart'].p95).toBe(300)
    // include all, last 4: c, d, e, f → 100, 200, 500, 400 → median (200 + 400) / 2
    const all = baselineFrom(records, { runs: 4, include: 'all' })!
    expect(all.runIds).toEqual(['c', 'd', 'e', 'f'])
    expect(all.labels['POST /cart'].p95).toBe(300)
    expect(all.total.runs).toBe(4)
    expect(all.labels['POST /cart'].errorRate).toBeCloseTo(1 / 50, 12)
    expect(all.labels['POST /cart'].throughputRps).toBeCloseTo(5, 12)
  })

  test('baseline: an endpoint only some runs had gets the median of those; the judged run is left out', () => {
    const records = [record('a', 100), record('b', 100, 'pass', true), record('c', 100, 'pass', true)]
    const b = baselineFrom(records, { runs: 5, include: 'pass' }, { excludeRunId: 'c' })!
    expect(b.runIds).toEqual(['a', 'b'])
    expect(b.labels['GET /new'].runs).toBe(1)
    expect(b.labels['POST /cart'].runs).toBe(2)
  })

  test('no qualifying run, no baseline', () => {
    expect(baselineFrom([], { runs: 5, include: 'all' })).toBeUndefined()
    expect(baselineFrom([record('x', 1, 'fail')], { runs: 5, include: 'pass' })).toBeUndefined()
  })

  test('history lives at a per-service path', () => {
    expect(historyPath('checkout-api')).toBe('.peakcast/history/checkout-api.jsonl')
  })
})
