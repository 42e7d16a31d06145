/**
 * Distributed load end to end: two `test` shards run at once (as a workflow matrix would),
 * each real JMeter at half the rate with its own seed; their results are laid out as
 * actions/download-artifact leaves them; `merge-results` judges and reports once. The merged
 * statistics must equal the analysis of the concatenated steady-state JTL rows.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDemoService, type DemoService } from '../../src/demo/service.js'
import { analyzeJtl } from '../../src/jmeter/jtl.js'
import type { LabelStats } from '../../src/jmeter/stats.js'
import { HISTORY_BRANCH, historyPath, parseHistory } from '../../src/slo/history.js'
import { e2eWorkload, nearestRank, readJtlRows, SERVICE, startWorld, type E2eWorld } from '../helpers/e2e-world.js'

describe('two shards and merge-results through dist/index.js', () => {
  let world: E2eWorld
  let svc: DemoService

  beforeAll(async () => {
    world = await startWorld()
    svc = await startDemoService({ port: 0 })
  }, 10 * 60_000)

  afterAll(async () => {
    await svc?.stop()
    await world?.stop()
  })

  test('each shard sends half the rate with its own seed; the merged report equals the concatenated JTL', async () => {
    const w = e2eWorkload(svc.url, { targetRps: 40 })
    const merge = world.mergeWorkload(w)
    const shard = (k: number) => world.runTest(merge, { inputs: { shards: '2', 'shard-index': String(k), 'results-dir': `out-${k}` } })
    const [a, b] = await Promise.all([shard(0), shard(1)])

    for (const [k, res] of [a, b].entries()) {
      expect(res.errors).toEqual([])
      expect(res.exitCode).toBe(0)
      expect(res.outputs).toEqual({ 'results-dir': join(world.repo.clone, `out-${k}`) })
      const meta = JSON.parse(readFileSync(join(world.repo.clone, `out-${k}`, SERVICE, `shard-${k}`, 'run.json'), 'utf8'))
      expect(meta).toMatchObject({ service: SERVICE, shard: k, shards: 2, targetRps: 40, shardRps: 20, seed: k + 1, engine: 'local' })
    }
    // shards only leave results: nothing is reported before the merge
    expect(world.github.state.checkRuns).toEqual([])
    expect(world.github.state.comments).toEqual([])

    // the report job's download: <dir>/peakcast-shard-<k>/<service>/shard-<k>/...
    const downloads = join(world.repo.clone, 'downloads')
    for (const k of [0, 1]) cpSync(join(world.repo.clone, `out-${k}`), join(downloads, `peakcast-shard-${k}`), { recursive: true })
    const res = await world.runTest(merge, { inputs: { command: 'merge-results', 'results-dir': 'downloads' } })
    expect(res.errors).toEqual([])
    expect(res.exitCode).toBe(0)

    // one check run and one comment, as for an unsharded run
    expect(world.github.state.checkRuns.map(r => [r.headSha, r.conclusion])).toEqual([[merge.sha, 'success']])
    expect(world.github.state.comments.filter(c => c.issueNumber === merge.pull)).toHaveLength(1)
    expect(world.github.violations).toEqual([])

    // the concatenation of both shards' steady-state rows (each shard after its own ramp-up), as one file
    const concat = join(world.repo.root, 'concatenated.jtl')
    const lines: string[] = []
    let header = ''
    const steadyRows = []
    for (const k of [0, 1]) {
      const jtl = join(downloads, `peakcast-shard-${k}`, SERVICE, `shard-${k}`, 'results.jtl')
      const rows = readJtlRows(jtl)
      const from = Math.min(...rows.map(r => r.timeStamp)) + w.test.rampUp * 1000
      const text = readFileSync(jtl, 'utf8').trimEnd().split('\n')
      expect(text.length - 1).toBe(rows.length) // one physical line per row: filtering lines is safe
      header = text[0]
      text.slice(1).forEach((line, i) => {
        if (rows[i].timeStamp >= from) lines.push(line)
      })
      steadyRows.push(...rows.filter(r => r.timeStamp >= from))
    }
    writeFileSync(concat, `${header}\n${lines.join('\n')}\n`)
    const single = await analyzeJtl(concat, { targetRps: 40 })

    const record = parseHistory(world.repo.readFile(HISTORY_BRANCH, historyPath(SERVICE)) ?? '', 'history')[0]
    const withoutLabel = (l: LabelStats) => Object.fromEntries(Object.entries(l).filter(([k]) => k !== 'label'))
    expect(record.total).toEqual(withoutLabel(single.total))
    expect(Object.keys(record.labels)).toEqual(single.labels.map(l => l.label))
    for (const l of single.labels) expect(record.labels[l.label]).toEqual(withoutLabel(l))
    expect(Number(res.outputs['p95-ms'])).toBe(single.total.p95)
    expect(Number(res.outputs['throughput-rps'])).toBeCloseTo(single.total.throughputRps, 2)
    // and both equal a from-scratch percentile over the same rows
    expect(single.total.p95).toBe(nearestRank(steadyRows.map(r => r.elapsed), 95))
    expect(single.total.count).toBe(steadyRows.length)
  }, 180_000)
})
