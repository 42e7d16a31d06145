import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fetchAccessLog, parseAccessLog, parseLogLine, templatePath } from '../../src/telemetry/accesslog.js'
import { HOUR_MS } from '../../src/telemetry/series.js'
import { sessionize } from '../../src/telemetry/sessions.js'
import { PeakcastError } from '../../src/util/errors.js'
import { memoryLogger } from '../../src/util/log.js'

const repoRoot = resolve(import.meta.dirname, '../..')
const fixture = resolve(repoRoot, 'test/fixtures/telemetry/access.log')
const elastic = resolve(repoRoot, '../shared/data/elastic-apache-logs/apache_logs')
const at = (iso: string) => Date.parse(iso)

let tmp: string
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'peakcast-accesslog-'))
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('endpoint names', () => {
  test('numeric, uuid and hex segments become {id}; words stay', () => {
    expect(templatePath('/orders/123/items/0b9f3c1e-8d2a-4f7b-9c3e-5a6d7e8f9a0b')).toBe('/orders/{id}/items/{id}')
    expect(templatePath('/blob/deadbeef42/raw')).toBe('/blob/{id}/raw')
    expect(templatePath('/cafe/facade/v2')).toBe('/cafe/facade/v2')
    expect(templatePath('/')).toBe('/')
  })

  test('query strings are stripped; absolute targets reduced to their path', () => {
    expect(parseLogLine('1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /p/9?x=1 HTTP/1.1" 200 5 "-" "UA"')).toMatchObject({ endpoint: 'GET /p/{id}' })
    expect(parseLogLine('1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET http://h.example?q HTTP/1.1" 200 5 "-" "UA"')).toMatchObject({ endpoint: 'GET /' })
    expect(parseLogLine('1.2.3.4 - - [17/May/2015:10:05:03 +0000] "-" 408 0 "-" "-"')).toEqual({ reason: 'request "-" is not METHOD PATH PROTOCOL' })
  })
})

describe('parseAccessLog on a small log', () => {
  test('hourly counts per endpoint, 5xx as errors, bots out, malformed lines reported, empty hours explicit zeros', async () => {
    const log = await parseAccessLog(fixture)
    expect(log.skipped).toEqual([
      { line: 6, reason: 'not in Apache combined log format' },
      { line: 8, reason: 'not in Apache combined log format' }
    ])
    expect(log.bots).toBe(1)
    expect(log.points).toEqual([
      { t: at('2015-05-17T09:00:00Z'), endpoint: 'GET /orders/{id}/items/{id}', requests: 1, errors: 1 },
      { t: at('2015-05-17T10:00:00Z'), endpoint: 'GET /products/{id}', requests: 2, errors: 1 },
      { t: at('2015-05-17T10:00:00Z'), endpoint: 'POST /cart', requests: 1, errors: 0 },
      { t: at('2015-05-17T11:00:00Z'), endpoint: 'GET /orders/{id}/items/{id}', requests: 0, errors: 0 },
      { t: at('2015-05-17T12:00:00Z'), endpoint: 'GET /search', requests: 2, errors: 0 }
    ])
    expect(log.events.map(e => [new Date(e.t).toISOString(), e.endpoint])).toEqual([
      ['2015-05-17T10:05:03.000Z', 'GET /products/{id}'],
      ['2015-05-17T10:20:00.000Z', 'POST /cart'],
      ['2015-05-17T09:59:59.000Z', 'GET /orders/{id}/items/{id}'],
      ['2015-05-17T10:30:00.000Z', 'GET /products/{id}'], // 12:30 +0200
      ['2015-05-17T12:01:00.000Z', 'GET /search'],
      ['2015-05-17T12:45:00.000Z', 'GET /search']
    ])
    // the same IP + user agent is the same visitor; the id is a hash, not the IP
    const [a1, a2, c, a3, b1, b2] = log.events.map(e => e.visitor)
    expect(new Set([a1, a2, a3]).size).toBe(1)
    expect(b1).toBe(b2)
    expect(new Set([a1, b1, c]).size).toBe(3)
    expect(log.events.some(e => e.visitor.includes('10.0.0'))).toBe(false)
  })

  test('visitor ids are salted per parse, so they cannot be joined across runs', async () => {
    const [x, y] = await Promise.all([parseAccessLog(fixture), parseAccessLog(fixture)])
    expect(x.events[0].visitor).not.toBe(y.events[0].visitor)
    expect(sessionize(x.events)).toEqual(sessionize(y.events))
  })

  test('a log where nothing parses is an error naming file and first bad line; an empty one too', async () => {
    const bad = join(tmp, 'bad.log')
    writeFileSync(bad, '\nnot a log\nstill not\n')
    const err = await parseAccessLog(bad).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PeakcastError)
    expect((err as Error).message).toContain(`${bad}:2`)
    const empty = join(tmp, 'empty.log')
    writeFileSync(empty, '')
    expect(((await parseAccessLog(empty).catch((e: unknown) => e)) as Error).message).toContain('empty')
  })

  test('fetchAccessLog resolves against baseDir and reports skipped lines', async () => {
    const log = memoryLogger()
    const points = await fetchAccessLog({ type: 'accesslog', path: 'access.log' }, { service: 's', baseDir: resolve(fixture, '..'), env: {}, log })
    expect(points).toHaveLength(5)
    expect(log.lines.join('\n')).toContain('access.log:6')
  })
})

describe('sessionize', () => {
  const events = [
    { t: 0, visitor: 'v1', endpoint: 'GET /a' },
    { t: 10 * 60_000, visitor: 'v1', endpoint: 'GET /b' },
    { t: 41 * 60_000, visitor: 'v1', endpoint: 'GET /c' }, // 31 min pause: new session
    { t: 5 * 60_000, visitor: 'v2', endpoint: 'GET /a' },
    { t: 35 * 60_000, visitor: 'v2', endpoint: 'POST /d' } // exactly 30 min: same session
  ]

  test('splits on pauses longer than the gap, strips visitors, orders by content', () => {
    const sessions = sessionize(events)
    expect(sessions).toEqual([
      { events: [{ t: 0, endpoint: 'GET /a' }, { t: 10 * 60_000, endpoint: 'GET /b' }] },
      { events: [{ t: 5 * 60_000, endpoint: 'GET /a' }, { t: 35 * 60_000, endpoint: 'POST /d' }] },
      { events: [{ t: 41 * 60_000, endpoint: 'GET /c' }] }
    ])
    expect(JSON.stringify(sessions)).not.toContain('v1')
  })

  test('input order and visitor ids do not change the output', () => {
    const renamed = [...events].reverse().map(e => ({ ...e, visitor: e.visitor === 'v1' ? 'zz' : 'aa' }))
    expect(sessionize(renamed)).toEqual(sessionize(events))
    expect(sessionize(events, 60 * 60_000)).toHaveLength(2)
  })
})

describe('the real elastic Apache log', () => {
  /** an independent reading: split on quotes; the user agent is the last quoted field */
  function independent() {
    const lines = readFileSync(elastic, 'utf8').split('\n').filter(l => l.length > 0)
    const parsed = lines.map((l, i) => ({ l, line: i + 1, q: l.split('"') })).filter(x => x.q.length === 7)
    const humans = parsed.filter(x => !/bot|crawl|spider/i.test(x.q[5]))
    return { lines, parsed, humans }
  }

  test('reports the malformed line 8899, leaves bots out, counts every other request once per hour', async () => {
    const log = await parseAccessLog(elastic)
    const ind = independent()
    expect(ind.lines).toHaveLength(10_000)
    expect(log.skipped).toEqual([{ line: 8899, reason: 'not in Apache combined log format' }])
    expect(log.bots).toBe(ind.parsed.length - ind.humans.length)
    expect(log.bots).toBeGreaterThan(1000)
    expect(log.events).toHaveLength(ind.humans.length)

    const perHour = new Map<number, number>()
    for (const h of ind.humans) {
      const m = /\[(\d{2})\/May\/2015:(\d{2}):/.exec(h.l)!
      const t = Date.UTC(2015, 4, Number(m[1]), Number(m[2]))
      perHour.set(t, (perHour.get(t) ?? 0) + 1)
    }
    const fromPoints = new Map<number, number>()
    for (const p of log.points) fromPoints.set(p.t, (fromPoints.get(p.t) ?? 0) + p.requests)
    for (const [t, n] of fromPoints) if (n === 0) fromPoints.delete(t)
    expect(fromPoints).toEqual(perHour)

    const errors5xx = ind.humans.filter(h => /^ 5\d\d /.test(h.q[2])).length
    expect(log.points.reduce((a, p) => a + (p.errors ?? 0), 0)).toBe(errors5xx)
    expect(log.points.every(p => p.t % HOUR_MS === 0 && !p.endpoint!.includes('?'))).toBe(true)
  })

  test('sessions match an independent grouping by raw IP + user agent', async () => {
    const log = await parseAccessLog(elastic)
    const sessions = sessionize(log.events)
    const byVisitor = new Map<string, number[]>()
    for (const h of independent().humans) {
      const key = `${h.l.split(' ')[0]}|${h.q[5]}`
      const m = /\[(\d{2})\/May\/2015:(\d{2}):(\d{2}):(\d{2})/.exec(h.l)!
      const t = Date.UTC(2015, 4, Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]))
      byVisitor.set(key, [...(byVisitor.get(key) ?? []), t])
    }
    let expected = 0
    for (const ts of byVisitor.values()) {
      ts.sort((a, b) => a - b)
      expected += 1 + ts.filter((t, i) => i > 0 && t - ts[i - 1] > 30 * 60_000).length
    }
    expect(sessions).toHaveLength(expected)
    expect(sessions.reduce((a, s) => a + s.events.length, 0)).toBe(log.events.length)
  })
})
