import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse } from 'csv-parse/sync'
import fc from 'fast-check'
import { accumulateJtl, analyzeJtl, analyzeJtls, JtlAccumulator } from '../../src/jmeter/jtl.js'
import type { LabelStats, RunStats } from '../../src/jmeter/stats.js'
import { PeakcastError } from '../../src/util/errors.js'

const FIXTURES = resolve(process.cwd(), 'test/fixtures/jtl')
const TC_MESSAGE = 'Number of samples in transaction'

let dir: string
let n = 0
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peakcast-jtl-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function write(text: string): string {
  const path = join(dir, `t${++n}.jtl`)
  writeFileSync(path, text)
  return path
}

/** JMeter's CSVSaveService quoting: quote when the value holds , " CR or LF; double quotes. */
function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v
}

interface Row {
  timeStamp: number
  elapsed: number
  label: string
  success: boolean
  responseMessage: string
  failureMessage: string
  tc: boolean
}

const ALL_COLUMNS = ['timeStamp', 'elapsed', 'label', 'responseCode', 'responseMessage', 'threadName', 'dataType', 'success', 'failureMessage', 'URL', 'Latency']

function toJtl(rows: Row[], columns = ALL_COLUMNS, eol = '\n'): string {
  const value = (r: Row, c: string): string => {
    switch (c) {
      case 'timeStamp':
        return String(r.timeStamp)
      case 'elapsed':
        return String(r.elapsed)
      case 'label':
        return r.label
      case 'success':
        return String(r.success)
      case 'responseMessage':
        return r.tc ? `${TC_MESSAGE} : 2, number of failing samples : ${r.success ? 0 : 1}` : r.responseMessage
      case 'failureMessage':
        return r.failureMessage
      case 'dataType':
        return r.tc ? '' : 'text'
      case 'URL':
        return r.tc ? 'null' : 'http://127.0.0.1/x?a=1,2'
      case 'responseCode':
        return r.success ? '200' : '500'
      case 'threadName':
        return 'Thread Group 1-1'
      default:
        return String(r.elapsed >> 1)
    }
  }
  const lines = [columns.join(','), ...rows.map(r => columns.map(c => csvField(value(r, c))).join(','))]
  return lines.join(eol) + eol
}

/**
 * The independent reference: parse the whole file with csv-parse, keep every sample in memory,
 * sort, and take nearest-rank percentiles from the sorted arrays.
 */
function bruteForce(text: string): RunStats | undefined {
  const records = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[]
  const samples = records.filter(r =>
    r.responseMessage !== undefined ? !r.responseMessage.startsWith(TC_MESSAGE) : !(r.dataType === '' && r.URL === 'null')
  )
  if (samples.length === 0) return undefined
  const starts = samples.map(r => Number(r.timeStamp))
  const ends = samples.map(r => Number(r.timeStamp) + Number(r.elapsed))
  const startMs = Math.min(...starts)
  const endMs = Math.max(...ends)
  const seconds = Math.max(endMs - startMs, 1) / 1000
  const stats = (label: string, rs: Record<string, string>[]): LabelStats => {
    const v = rs.map(r => Number(r.elapsed)).sort((a, b) => a - b)
    const rank = (p: number) => v[Math.max(1, Math.ceil((p * v.length) / 100)) - 1]
    const errors = rs.filter(r => r.success !== 'true').length
    return {
      label,
      count: v.length,
      errors,
      errorRate: errors / v.length,
      min: v[0],
      mean: v.reduce((a, b) => a + b, 0) / v.length,
      p50: rank(50),
      p90: rank(90),
      p95: rank(95),
      p99: rank(99),
      max: v[v.length - 1],
      throughputRps: v.length / seconds
    }
  }
  const byLabel = new Map<string, Record<string, string>[]>()
  for (const r of samples) {
    const group = byLabel.get(r.label)
    if (group) group.push(r)
    else byLabel.set(r.label, [r])
  }
  const names = [...byLabel.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return {
    total: stats('TOTAL', samples),
    labels: names.map(l => stats(l, byLabel.get(l) as Record<string, string>[])),
    startMs,
    endMs
  }
}

/** Equal, allowing float rounding differences in the means and rates only. */
function expectSameStats(actual: RunStats, expected: RunStats): void {
  const round = (s: LabelStats) => ({ ...s, mean: Number(s.mean.toFixed(6)), throughputRps: Number(s.throughputRps.toFixed(6)) })
  expect(actual.labels.map(round)).toEqual(expected.labels.map(round))
  expect(round(actual.total)).toEqual(round(expected.total))
  expect([actual.startMs, actual.endMs]).toEqual([expected.startMs, expected.endMs])
}

const REQUIRED = ['timeStamp', 'elapsed', 'label', 'success']
const LABEL_POOL = ['GET /a', 'POST /b, c', 'say "hi"', 'multi\nline', 'ünïcødé €', 'GET /products/{id}']
const MESSAGES = ['OK', 'a, b', 'line\nbreak, and "quotes"', '', 'crlf\r\ninside']

const rowArb: fc.Arbitrary<Row> = fc.record({
  timeStamp: fc.integer({ min: 1_767_225_600_000, max: 1_767_225_900_000 }),
  elapsed: fc.oneof(fc.nat(3000), fc.nat(300_000)),
  label: fc.constantFrom(...LABEL_POOL),
  success: fc.boolean(),
  responseMessage: fc.constantFrom(...MESSAGES),
  failureMessage: fc.constantFrom(...MESSAGES),
  tc: fc.nat(7).map(k => k === 0) // about one row in eight is a TC parent
})

/** A deterministic "realistic" JTL: many rows, every trap, fixed seed. */
function generatedJtl(rows: number, seed: number): string {
  const [sample] = fc.sample(fc.array(rowArb, { minLength: rows, maxLength: rows }), { seed, numRuns: 1 })
  return toJtl(sample)
}

describe('analyzeJtl against a brute-force reference', () => {
  it('gives identical per-label and total stats on a generated JTL with quoted commas, quotes, newlines and TC rows', async () => {
    const text = generatedJtl(20_000, 7)
    const expected = bruteForce(text) as RunStats
    expect(expected.labels.length).toBe(LABEL_POOL.length)
    expectSameStats(await analyzeJtl(write(text)), expected)
  })

  it('holds for random sample sets, column orders, line endings and read-buffer sizes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 1, maxLength: 60 }),
        fc.shuffledSubarray(ALL_COLUMNS, { minLength: ALL_COLUMNS.length }),
        fc.array(fc.boolean(), { minLength: ALL_COLUMNS.length, maxLength: ALL_COLUMNS.length }),
        fc.constantFrom('\n', '\r\n'),
        fc.integer({ min: 1, max: 96 }),
        async (rows, order, keep, eol, bufferBytes) => {
          const columns = order.filter((c, i) => REQUIRED.includes(c) || keep[i])
          const text = toJtl(rows, columns, eol)
          const path = write(text)
          const expected = bruteForce(text)
          if (expected === undefined) {
            await expect(analyzeJtl(path, { bufferBytes })).rejects.toThrow(PeakcastError)
          } else {
            expectSameStats(await analyzeJtl(path, { bufferBytes }), expected)
          }
        }
      ),
      { numRuns: 150, seed: 20_260_101 }
    )
  })

  it('stays exact with more distinct labels than it caches (URLs used as labels)', async () => {
    const lines = ['timeStamp,elapsed,label,success']
    for (let i = 0; i < 24_000; i++) lines.push(`${1000 + i},${(i * 7919) % 1000},/item/${i % 12_000},${i % 13 !== 0}`)
    const text = lines.join('\n') + '\n'
    const stats = await analyzeJtl(write(text))
    expect(stats.labels.length).toBe(12_000)
    expectSameStats(stats, bruteForce(text) as RunStats)
  })

  it('merging the accumulators of two halves equals analysing the whole file', async () => {
    const [rows] = fc.sample(fc.array(rowArb, { minLength: 3000, maxLength: 3000 }), { seed: 11, numRuns: 1 })
    const whole = write(toJtl(rows))
    const first = write(toJtl(rows.slice(0, 1500)))
    const second = write(toJtl(rows.slice(1500)))
    const merged = new JtlAccumulator().merge(await accumulateJtl(first)).merge(await accumulateJtl(second))
    const expected = await analyzeJtl(whole, { targetRps: 50 })
    expect(merged.result({ targetRps: 50 })).toEqual(expected)
    expect(await analyzeJtls([second, first], { targetRps: 50 })).toEqual(expected)
    expect(merged.transactionRows).toBe(rows.filter(r => r.tc).length)
  })
})

describe('JMeter specifics', () => {
  it('leaves Transaction Controller parent rows (both modes, and empty ones) out of the requests', async () => {
    const stats = await analyzeJtl(join(FIXTURES, 'transaction-controller.jtl'))
    expect(stats.labels.map(l => l.label)).toEqual(['GET /products/{id}', 'GET /search?q=a,b', 'POST /cart', 'POST /checkout'])
    expect(stats.total.count).toBe(5)
    expect(stats.total.errors).toBe(1)
    expect(stats.total.max).toBe(340)
    const cut = await accumulateJtl(join(FIXTURES, 'transaction-controller.jtl'))
    expect(cut.transactionRows).toBe(3)
  })

  it('without a responseMessage column, recognises TC rows by empty dataType and URL "null" (CRLF file)', async () => {
    const stats = await analyzeJtl(join(FIXTURES, 'no-response-message.jtl'))
    expect(stats.labels.map(l => [l.label, l.count])).toEqual([
      ['GET /a', 2],
      ['GET /b', 1]
    ])
    expect(stats.total.errors).toBe(1)
  })

  it('computes throughput over first start → last end, and the achieved ratio against a target', async () => {
    // three samples: starts 1000, 1500, 2000 (ms), elapsed 100, 900, 500 → span 1000..2500 = 1.5 s
    const path = write('timeStamp,elapsed,label,success\n1000,100,a,true\n1500,900,a,false\n2000,500,b,true\n')
    const stats = await analyzeJtl(path, { targetRps: 4 })
    expect(stats.total.throughputRps).toBeCloseTo(3 / 1.5, 12)
    expect(stats.labels[0].throughputRps).toBeCloseTo(2 / 1.5, 12)
    expect(stats.achievedRatio).toBeCloseTo(2 / 4, 12)
    expect(stats.total.errorRate).toBeCloseTo(1 / 3, 12)
    // timeStamp as the end: starts 900, 600, 1500; ends 1000, 1500, 2000
    const ends = await analyzeJtl(path, { timestampIsStart: false })
    expect([ends.startMs, ends.endMs]).toEqual([600, 2000])
  })

  it('keeps only samples starting inside [from, to)', async () => {
    const path = write('timeStamp,elapsed,label,success\n1000,10,a,true\n2000,20,a,true\n3000,30,a,true\n')
    const stats = await analyzeJtl(path, { from: 2000, to: 3000 })
    expect([stats.total.count, stats.total.min, stats.startMs, stats.endMs]).toEqual([1, 20, 2000, 2020])
    await expect(analyzeJtl(path, { from: 5000 })).rejects.toThrow(/no samples in the chosen time range/)
  })

  it('is exact for latencies far beyond the dense range (sparse tail)', async () => {
    const rows = ['timeStamp,elapsed,label,success', '0,70000,a,true', '0,3600000,a,true', '0,5,a,true', '0,70000,a,true']
    const stats = await analyzeJtl(write(rows.join('\n') + '\n'))
    expect([stats.total.min, stats.total.p50, stats.total.p90, stats.total.max]).toEqual([5, 70000, 3600000, 3600000])
  })
})

describe('bad JTLs', () => {
  const header = 'timeStamp,elapsed,label,responseMessage,success\n'

  async function failure(text: string, opts = {}): Promise<PeakcastError> {
    const err = await analyzeJtl(write(text), opts).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(err).toBeInstanceOf(PeakcastError)
    return err as PeakcastError
  }

  it('names the line of a torn last row and says the JTL is incomplete', async () => {
    const err = await failure(`${header}1000,10,a,OK,true\n1001,1`)
    expect(err.place.line).toBe(3)
    expect(err.message).toMatch(/incomplete/)
    expect(err.message).toContain(':3')
  })

  it('names the starting line of a row torn inside a quoted multi-line field', async () => {
    for (const bufferBytes of [3, 1 << 20]) {
      const err = await failure(`${header}1000,10,a,"two\nlines",true\n1001,12,b,"cut here,\nand`, { bufferBytes })
      expect(err.place.line).toBe(4)
      expect(err.message).toMatch(/incomplete/)
    }
  })

  it('rejects an empty file and a header-only file with clear messages', async () => {
    expect((await failure('')).message).toMatch(/empty/)
    expect((await failure(header)).message).toMatch(/header but no samples/)
  })

  it('names the line of an unparseable elapsed, counting line breaks inside quoted fields', async () => {
    const err = await failure(`${header}1000,10,a,"x\ny",true\n1001,12.5,b,OK,true\n`)
    expect(err.place.line).toBe(4)
    expect(err.message).toContain('12.5')
  })

  it('explains a header without the required columns, an XML JTL and a wrong field count', async () => {
    expect((await failure('time,label\n1,a\n')).message).toMatch(/timeStamp, elapsed, success/)
    expect((await failure('<?xml version="1.0"?>\n<testResults>\n')).message).toMatch(/XML/)
    const err = await failure(`${header}1000,10,a,OK,true,extra\n`)
    expect([err.place.line, /6 fields/.test(err.message)]).toEqual([2, true])
    expect((await failure(`${header}2026-01-01 00:00:00,10,a,OK,true\n`)).message).toMatch(/timestamp_format=ms/)
  })
})
