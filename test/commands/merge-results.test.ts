/**
 * merge-results in process, on synthetic shard artifacts: layout, merged statistics against
 * the concatenated rows, fail-on, and publishing to (a fake of) New Relic's ingest APIs.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { createMergeResultsCommand } from '../../src/commands/merge-results.js'
import { analyzeJtl } from '../../src/jmeter/jtl.js'
import { analyzeShards, findShardResults, writeShardMeta, type ShardMeta } from '../../src/jmeter/shard-results.js'
import { memoryLogger } from '../../src/util/log.js'
import { startFakeNewRelicIngest } from '../helpers/fake-newrelic-ingest.js'
import { repoRoot } from '../helpers/run-action.js'

const HEADER = 'timeStamp,elapsed,label,responseCode,responseMessage,success'
type Row = [start: number, elapsed: number, label: string, ok: boolean]
const csv = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
const line = ([t, e, l, ok]: Row) => `${t},${e},${csv(l)},${ok ? 200 : 500},${csv(ok ? 'OK' : 'Internal, error')},${ok}`

function writeShard(root: string, k: number, shards: number, rows: Row[], rampUp = 1, service = 'demo-api'): string {
  const dir = join(root, `peakcast-shard-${k}`, service, `shard-${k}`)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'results.jtl'), `${HEADER}\n${rows.map(line).join('\n')}\n`)
  const meta: ShardMeta = { version: 1, service, shard: k, shards, targetRps: 20, shardRps: 20 / shards, rampUp, duration: 60, seed: k + 1, engine: 'local', exitCode: 0 }
  writeShardMeta(dir, meta)
  return dir
}

describe('merge-results', () => {
  let dir: string
  const T0 = Date.now() - 60_000 // within New Relic's accepted timestamp window

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'peakcast-merge-'))
    cpSync(join(repoRoot, 'template-repo', 'peakcast.yaml'), join(dir, 'peakcast.yaml'))
    cpSync(join(repoRoot, 'template-repo', 'slo.yaml'), join(dir, 'slo.yaml'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const run = (options: Record<string, string>, env: NodeJS.ProcessEnv = {}, fetch?: typeof globalThis.fetch) =>
    createMergeResultsCommand(fetch ? { fetch } : {}).run(
      { config: 'peakcast.yaml', slo: 'slo.yaml', 'results-dir': 'downloads', 'fail-on': 'fail', services: '', token: '', 'newrelic-api-key': '', ...options },
      { log: memoryLogger(), cwd: dir, env, now: T0 }
    )

  test('merges the shards after each one\'s own ramp-up, judges once, and publishes to New Relic EU', async () => {
    const rowsOf = (k: number, t0: number): Row[] =>
      Array.from({ length: 40 }, (_, i) => [t0 + i * 100, 100 + ((i * 37 + k * 11) % 90), i % 3 === 0 ? 'POST /cart' : 'GET /search', i % 17 !== 5])
    const a = rowsOf(0, T0)
    const b = rowsOf(1, T0 + 2500) // started later, as a matrix job may
    writeShard(join(dir, 'downloads'), 0, 2, a)
    writeShard(join(dir, 'downloads'), 1, 2, b)
    const nr = await startFakeNewRelicIngest({ expectedKey: 'nr-license' })
    try {
      const outcome = await run({ 'newrelic-api-key': 'nr-license' }, { NEW_RELIC_ACCOUNT_ID: '1234567', NEW_RELIC_REGION: 'eu' }, nr.fetch)

      const steady = [...a.filter(r => r[0] >= a[0][0] + 1000), ...b.filter(r => r[0] >= b[0][0] + 1000)]
      const concat = join(dir, 'concat.jtl')
      writeFileSync(concat, `${HEADER}\n${steady.map(line).join('\n')}\n`)
      const single = await analyzeJtl(concat, { targetRps: 20 })
      expect(outcome.outputs?.['p95-ms']).toBe(String(single.total.p95))
      expect(outcome.outputs?.['error-rate']).toBe(single.total.errorRate.toFixed(4))
      expect(outcome.outputs?.['throughput-rps']).toBe(single.total.throughputRps.toFixed(2))
      // 2 of 36 rows fail: above the 1 % key objective → fail, and fail-on: fail fails the job
      expect(outcome.outputs?.verdict).toBe('fail')
      expect(outcome.failure).toMatch(/^demo-api: SLO fail: .*error_rate overall = /)
      expect(readFileSync(join(dir, 'downloads', 'demo-api', 'report.md'), 'utf8')).toBe(outcome.summary)

      expect(nr.violations).toEqual([])
      expect(nr.targets.map(u => new URL(u).host).sort()).toEqual(['insights-collector.eu01.nr-data.net', 'metric-api.eu.newrelic.com'])
      const events = nr.requests.find(r => r.api === 'events')
      expect(events?.accountId).toBe('1234567')
      expect(events?.body).toEqual(expect.arrayContaining([expect.objectContaining({ eventType: 'PeakcastRun', service: 'demo-api', verdict: 'fail', requests: single.total.count })]))
    } finally {
      await nr.close()
    }
  })

  test("fail-on decides whether a verdict fails the job", async () => {
    const rows: Row[] = Array.from({ length: 30 }, (_, i) => [T0 + i * 100, 350, 'GET /search', true])
    writeShard(join(dir, 'downloads'), 0, 1, rows)
    // p95 350 ms is in the warning band (< 400) of a key objective; other objectives fail → fail
    expect((await run({ 'fail-on': 'never' })).failure).toBeUndefined()
    expect((await run({ 'fail-on': 'warning' })).failure).toMatch(/SLO fail/)
    await expect(run({ 'fail-on': 'sometimes' })).rejects.toThrow(/fail-on must be fail, warning or never/)
  })

  test('a New Relic key without an account id fails before anything is reported', async () => {
    writeShard(join(dir, 'downloads'), 0, 1, [[T0, 1, 'GET /x', true]])
    await expect(run({ 'newrelic-api-key': 'k' })).rejects.toThrow(/NEW_RELIC_ACCOUNT_ID/)
  })

  test('layout problems are named: nothing found, a shard twice, a shard under the wrong service', async () => {
    mkdirSync(join(dir, 'downloads'))
    await expect(run({})).rejects.toThrow(/no shard results of the selected services found/)
    writeShard(join(dir, 'downloads'), 0, 2, [[T0, 1, 'GET /x', true]])
    const twin = join(dir, 'downloads', 'again')
    cpSync(join(dir, 'downloads', 'peakcast-shard-0'), twin, { recursive: true })
    expect(() => findShardResults(join(dir, 'downloads'))).toThrow(/shard 0 of demo-api appears twice/)
    rmSync(twin, { recursive: true })
    const wrong = join(dir, 'downloads', 'x', 'other-api')
    mkdirSync(wrong, { recursive: true })
    cpSync(join(dir, 'downloads', 'peakcast-shard-0', 'demo-api', 'shard-0'), join(wrong, 'shard-1'), { recursive: true })
    expect(() => findShardResults(join(dir, 'downloads'))).toThrow(/shard of service demo-api found under other-api/)
  })
})

describe('analyzeShards', () => {
  test('merged shard statistics equal the analysis of the concatenated steady-state rows (property)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'peakcast-shards-'))
    try {
      const row = fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 3000 }), fc.constantFrom('a', 'b, "c"', 'd'), fc.boolean())
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(row, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 3 }), async (shards, rampUp) => {
          rmSync(dir, { recursive: true, force: true })
          const steady: Row[] = []
          const all = shards.map((rows, k) => {
            const abs = rows.map(([t, e, l, ok]): Row => [1_700_000_000_000 + k * 777 + t, e, l, ok])
            writeShard(dir, k, shards.length, abs, rampUp)
            const first = Math.min(...abs.map(r => r[0]))
            steady.push(...abs.filter(r => r[0] >= first + rampUp * 1000))
            return abs
          })
          const found = findShardResults(dir).get('demo-api') ?? []
          expect(found.map(s => s.meta.shard)).toEqual(all.map((_, k) => k))
          if (steady.length === 0) return void (await expect(analyzeShards(found)).rejects.toThrow(/no samples after the ramp-up/))
          writeFileSync(join(dir, 'concat.jtl'), `${HEADER}\n${steady.map(line).join('\n')}\n`)
          expect(await analyzeShards(found)).toEqual(await analyzeJtl(join(dir, 'concat.jtl'), { targetRps: 20 }))
        }),
        { numRuns: 40 }
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
