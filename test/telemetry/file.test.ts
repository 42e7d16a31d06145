import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fetchFile, readTelemetryFile } from '../../src/telemetry/file.js'
import { normalize } from '../../src/telemetry/normalize.js'
import { HOUR_MS, type RawPoint } from '../../src/telemetry/series.js'
import { PeakcastError } from '../../src/util/errors.js'
import { memoryLogger } from '../../src/util/log.js'

const repoRoot = resolve(import.meta.dirname, '../..')
const fixtures = resolve(repoRoot, 'test/fixtures/telemetry')
const data = resolve(repoRoot, '../shared/data')
const fx = (name: string) => join(fixtures, name)

async function readError(path: string, opts = {}): Promise<PeakcastError> {
  const err = await readTelemetryFile(path, opts).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(PeakcastError)
  return err as PeakcastError
}

let tmp: string
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'peakcast-telemetry-'))
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('readTelemetryFile: layouts', () => {
  test('generic CSV: ISO with Z or offset, naive ISO, epoch s and ms, quoted endpoint, optional columns', async () => {
    const pts = await readTelemetryFile(fx('generic.csv'))
    const at = (iso: string) => Date.parse(iso)
    expect(pts).toEqual<RawPoint[]>([
      { t: at('2026-01-05T14:00:00Z'), endpoint: 'GET /a', requests: 120, latencyMs: 85.5, p95Ms: 210, errors: 2, line: 2 },
      { t: at('2026-01-05T14:00:00Z'), endpoint: 'GET /b', requests: 30, line: 3 },
      { t: 1767625200 * 1000, endpoint: 'GET /a', requests: 100, latencyMs: 80, p95Ms: 200, errors: 0, line: 4 },
      { t: 1767625200000, endpoint: 'GET /c, quoted', requests: 7, latencyMs: 12.5, p95Ms: 20, errors: 1, line: 5 },
      { t: at('2026-01-05T16:00:00Z'), endpoint: 'GET /a', requests: NaN, latencyMs: 90, errors: 0, line: 6 },
      { t: at('2026-01-05T17:00:00.250Z'), endpoint: 'GET /a', requests: -4, latencyMs: 90, errors: 0, line: 7 }
    ])
  })

  test('naive timestamps are read in the configured timezone', async () => {
    const pts = await readTelemetryFile(fx('generic.csv'), { timezone: 'America/New_York' })
    expect(pts[4].t).toBe(Date.parse('2026-01-05T21:00:00Z')) // 16:00 EST
    expect(pts[0].t).toBe(Date.parse('2026-01-05T14:00:00Z')) // explicit Z is untouched
  })

  test('total-only CSV with columns in any order; blank lines skipped', async () => {
    const pts = await readTelemetryFile(fx('total.csv'))
    expect(pts).toEqual([
      { t: Date.parse('2026-01-05T00:00:00Z'), requests: 10, line: 2 },
      { t: Date.parse('2026-01-05T01:00:00Z'), requests: 20, line: 4 }
    ])
  })

  test('NAB timestamp,value', async () => {
    const pts = await readTelemetryFile(fx('nab.csv'))
    expect(pts.map(p => [new Date(p.t).toISOString(), p.requests])).toEqual([
      ['2014-07-01T00:00:00.000Z', 10844],
      ['2014-07-01T00:30:00.000Z', 8127],
      ['2014-07-01T01:00:00.000Z', 6210]
    ])
  })

  test('vsaveris year,month,day,week_day,hour,requests in local time', async () => {
    const utc = await readTelemetryFile(fx('vsaveris.csv'))
    expect(utc.map(p => p.t)).toEqual([Date.UTC(2015, 2, 26, 14), Date.UTC(2015, 2, 26, 15)])
    const berlin = await readTelemetryFile(fx('vsaveris.csv'), { timezone: 'Europe/Berlin' })
    expect(berlin.map(p => p.t)).toEqual([Date.UTC(2015, 2, 26, 13), Date.UTC(2015, 2, 26, 14)]) // CET = UTC+1
    expect(berlin.map(p => p.requests)).toEqual([70913, 69843])
  })

  test('NDJSON with the generic keys (auto-detected from the content, and by extension)', async () => {
    const expected: RawPoint[] = [
      { t: Date.parse('2026-01-05T14:00:00Z'), endpoint: 'GET /a', requests: 120, latencyMs: 85.5, p95Ms: 210, errors: 2, line: 1 },
      { t: 1767625200000, endpoint: 'GET /b', requests: NaN, line: 3 }
    ]
    expect(await readTelemetryFile(fx('generic.ndjson'))).toEqual(expected)
    const noExt = join(tmp, 'telemetry.data')
    writeFileSync(noExt, readFileSync(fx('generic.ndjson')))
    expect(await readTelemetryFile(noExt)).toEqual(expected)
    expect(await readTelemetryFile(noExt, { format: 'ndjson' })).toEqual(expected)
  })

  test('fetchFile resolves the configured path against baseDir', async () => {
    const log = memoryLogger()
    const pts = await fetchFile({ type: 'file', path: 'nab.csv' }, { service: 's', baseDir: fixtures, env: {}, log })
    expect(pts).toHaveLength(3)
    expect(log.lines.join('\n')).toContain('nab.csv')
  })
})

describe('readTelemetryFile: errors name the file and line', () => {
  const cases: [string, number | undefined, string][] = [
    ['empty.csv', undefined, 'file is empty'],
    ['header-only.csv', undefined, 'no data rows'],
    ['bad-header.csv', 1, 'unknown header "time,count"'],
    ['bad-columns.csv', 3, 'row has 3 columns, the header has 2'],
    ['bad-timestamp.csv', 4, 'cannot read timestamp "2026-13-05T16:00:00Z"'],
    ['bad-number.csv', 2, 'cannot read number "many"'],
    ['bad-quote.csv', 3, 'not valid CSV'],
    ['bad-date-vsaveris.csv', 2, 'not a real date'],
    ['bad-json.ndjson', 2, 'not valid JSON'],
    ['bad-key.ndjson', 1, 'unknown key "latencyMs"']
  ]
  test.each(cases)('%s', async (name, line, text) => {
    const err = await readError(fx(name))
    expect(err.place.file).toBe(fx(name))
    expect(err.place.line).toBe(line)
    expect(err.message).toContain(line === undefined ? fx(name) : `${fx(name)}:${line}`)
    expect(err.message).toContain(text)
  })

  test('an unknown header lists the expected columns', async () => {
    const err = await readError(fx('bad-header.csv'))
    expect(err.message).toContain('timestamp,endpoint,requests,latency_ms,p95_ms,errors')
    expect(err.message).toContain('year,month,day,week_day,hour,requests')
  })

  test('a missing file and an unknown timezone are PeakcastErrors too', async () => {
    expect((await readError(join(tmp, 'nope.csv'))).message).toContain('ENOENT')
    expect((await readError(fx('nab.csv'), { timezone: 'Mars/Olympus' })).message).toContain('unknown time zone')
  })
})

describe('DST: local time → UTC', () => {
  /** vsaveris-layout rows for every local hour from..to (inclusive days), value = running index */
  function localRows(days: [number, number, number][], repeatHour?: { day: number; hour: number }): string {
    const lines = ['year,month,day,week_day,hour,requests']
    let v = 1000
    for (const [y, m, d] of days) {
      for (let h = 0; h < 24; h++) {
        const times = repeatHour && repeatHour.day === d && repeatHour.hour === h ? 2 : 1
        for (let k = 0; k < times; k++) lines.push(`${y},${m},${d},${(new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7},${h},${v++}`)
      }
    }
    return `${lines.join('\n')}\n`
  }
  const daysOf = (y: number, m: number, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => [y, m, from + i] as [number, number, number])

  test('Europe/Athens fall-back: the repeated 03:00 is 1 duplicate merged, the hour it leaves empty 1 gap filled', async () => {
    // 2023-10-29 04:00 EEST → 03:00 EET (01:00 UTC): local 03:00 happens twice; a logger writing local time writes it twice
    const path = join(tmp, 'athens-fall.csv')
    writeFileSync(path, localRows(daysOf(2023, 10, 15, 31), { day: 29, hour: 3 }))
    const pts = await readTelemetryFile(path, { timezone: 'Europe/Athens' })
    const { series, report } = normalize(pts, { service: 's', source: path })
    expect(report.duplicatesMerged).toBe(1)
    expect(report.gapsFilled).toBe(1)
    expect(report.dropped).toEqual([])
    // Independent: before the switch local = UTC+3, after it UTC+2.
    expect(series.start).toBe(Date.UTC(2023, 9, 14, 21))
    const idx = (t: number) => (t - series.start) / HOUR_MS
    const rows = readFileSync(path, 'utf8').trim().split('\n').slice(1).map(l => l.split(',').map(Number))
    const repeated = rows.filter(r => r[2] === 29 && r[4] === 3)
    expect(repeated).toHaveLength(2)
    // both 03:00 rows land on 00:00 UTC (03:00 EEST); the later row is kept
    expect(series.total.requests[idx(Date.UTC(2023, 9, 29, 0))]).toBe(repeated[1][5])
    // 01:00 UTC has no row; it is filled from the same UTC hour a week earlier (04:00 EEST on Oct 22)
    const weekEarlier = rows.find(r => r[2] === 22 && r[4] === 4)!
    expect(series.total.requests[idx(Date.UTC(2023, 9, 29, 1))]).toBe(weekEarlier[5])
    // 04:00 EET on the 29th is 02:00 UTC
    const after = rows.find(r => r[2] === 29 && r[4] === 4)!
    expect(series.total.requests[idx(Date.UTC(2023, 9, 29, 2))]).toBe(after[5])
    expect(series.total.requests).toHaveLength(17 * 24 + 1) // the 29th is 25 hours long
  })

  test('America/New_York spring-forward: the missing 02:00 leaves no hole in UTC', async () => {
    // 2024-03-10 02:00 EST → 03:00 EDT: local 02:00 does not exist; the file has no row for it
    const lines = localRows(daysOf(2024, 3, 1, 20)).split('\n').filter(l => !l.startsWith('2024,3,10,6,2,'))
    const path = join(tmp, 'ny-spring.csv')
    writeFileSync(path, lines.join('\n'))
    const pts = await readTelemetryFile(path, { timezone: 'America/New_York' })
    const { series, report } = normalize(pts, { service: 's', source: path })
    expect(report).toMatchObject({ duplicatesMerged: 0, gapsFilled: 0, outOfOrder: 0 })
    expect(series.start).toBe(Date.UTC(2024, 2, 1, 5)) // EST = UTC−5
    expect(series.total.requests).toHaveLength(20 * 24 - 1)
    const t01 = pts.find(p => p.line === 9 * 24 + 3)! // 2024-03-10 01:00 EST
    const t03 = pts.find(p => p.line === 9 * 24 + 4)! // 2024-03-10 03:00 EDT
    expect(t01.t).toBe(Date.UTC(2024, 2, 10, 6))
    expect(t03.t).toBe(Date.UTC(2024, 2, 10, 7))
  })
})

describe('real data', () => {
  const vsaveris = join(data, 'app-server-traffic-vsaveris/traffic_stats_HOURLY_CHs.csv')

  /** the file as a map "YYYY-M-D-H" → requests, parsed without the code under test */
  function vsaverisRows(): Map<string, number> {
    const rows = readFileSync(vsaveris, 'utf8').trim().split('\n').slice(1)
    return new Map(rows.map(l => l.split(',')).map(f => [`${f[0]}-${f[1]}-${f[2]}-${f[4]}`, Number(f[5])]))
  }

  test('vsaveris read as UTC: the 20 documented missing hours are filled, every other hour is the file’s value', async () => {
    const { series, report } = normalize(await readTelemetryFile(vsaveris), { service: 's', source: vsaveris })
    const rows = vsaverisRows()
    expect(report.rows).toBe(44_026)
    expect(report.gapsFilled).toBe(20)
    expect(report.duplicatesMerged).toBe(0)
    expect(series.start).toBe(Date.UTC(2015, 2, 26, 14))
    expect(series.total.requests).toHaveLength(44_026 + 20)
    let matched = 0
    const mismatches: string[] = []
    series.total.requests.forEach((r, i) => {
      const d = new Date(series.start + i * HOUR_MS)
      const v = rows.get(`${d.getUTCFullYear()}-${d.getUTCMonth() + 1}-${d.getUTCDate()}-${d.getUTCHours()}`)
      if (v === undefined) return
      matched++
      if (r !== v) mismatches.push(`${d.toISOString()}: ${r} != ${v}`)
    })
    expect(mismatches).toEqual([])
    expect(matched).toBe(44_026)
  })

  test('vsaveris read as Central European time: the 6 spring-forward hours are no gap, the 5 fall-back hours are', async () => {
    const { series, report } = normalize(await readTelemetryFile(vsaveris, { timezone: 'Europe/Berlin' }), { service: 's', source: vsaveris })
    // 20 documented missing local hours − 6 that do not exist locally + 1 per October (2015..2019)
    // whose repeated local 02:00 holds one row for two UTC hours
    expect(report.gapsFilled).toBe(20 - 6 + 5)
    expect(report.duplicatesMerged).toBe(0)
    expect(series.start).toBe(Date.UTC(2015, 2, 26, 13)) // still CET (UTC+1) until March 29
  })

  test('NAB nyc_taxi (30 min) aggregates to hourly sums equal to an independent sum', async () => {
    const path = join(data, 'nab/realKnownCause/nyc_taxi.csv')
    const { series, report } = normalize(await readTelemetryFile(path), { service: 's', source: path })
    const sums = new Map<string, number>()
    for (const line of readFileSync(path, 'utf8').trim().split('\n').slice(1)) {
      const [ts, v] = line.split(',')
      const hour = ts.slice(0, 13) // "2014-07-01 00"
      sums.set(hour, (sums.get(hour) ?? 0) + Number(v))
    }
    expect(report.gapsFilled).toBe(0)
    expect(series.total.requests).toHaveLength(sums.size)
    const actual = series.total.requests.map((r, i) => [new Date(series.start + i * HOUR_MS).toISOString().slice(0, 13).replace('T', ' '), r])
    expect(new Map(actual as [string, number][])).toEqual(sums)
  })

  test('NAB ELB request count (5 min, 14 days) is long enough and covers every hour from first to last row', async () => {
    const path = join(data, 'nab/realAWSCloudwatch/elb_request_count_8c0756.csv')
    const { series } = normalize(await readTelemetryFile(path), { service: 's', source: path })
    const stamps = readFileSync(path, 'utf8').trim().split('\n').slice(1).map(l => Date.parse(`${l.split(',')[0].replace(' ', 'T')}Z`))
    const hours = Math.floor(Math.max(...stamps) / HOUR_MS) - Math.floor(Math.min(...stamps) / HOUR_MS) + 1
    expect(hours).toBeGreaterThanOrEqual(336)
    expect(series.total.requests).toHaveLength(hours)
  })
})
