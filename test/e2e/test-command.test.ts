/**
 * `command: test` end to end, as the load-test workflow runs it on a merge: dist/index.js in a
 * runner-like process, real JMeter 5.6.3 (engine local) against the demo service, the
 * OpenAPI-checked GitHub fake, and the results history on a branch of a real bare repository.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDemoService, type DemoService } from '../../src/demo/service.js'
import { HISTORY_BRANCH, historyPath, parseHistory, appendRun, type HistoryRecord } from '../../src/slo/history.js'
import { startWorld, e2eWorkload, readJtlRows, nearestRank, SERVICE, type E2eWorld, type Merge } from '../helpers/e2e-world.js'

describe('command test through dist/index.js', () => {
  let world: E2eWorld
  const services: DemoService[] = []
  const demo = async (injectLatencyMs = 0) => {
    const s = await startDemoService({ port: 0, injectLatencyMs })
    services.push(s)
    return s
  }
  const history = (): HistoryRecord[] => parseHistory(world.repo.readFile(HISTORY_BRANCH, historyPath(SERVICE)) ?? '', 'history')
  const runsOn = (sha: string) => world.github.state.checkRuns.filter(r => r.headSha === sha)

  beforeAll(async () => {
    world = await startWorld()
  }, 10 * 60_000)

  afterAll(async () => {
    for (const s of services) await s.stop()
    await world?.stop()
  })

  afterEach(() => expect(world.github.violations).toEqual([]))

  let healthy: Merge
  let firstComment: string

  test('a healthy run passes: one check run on the merge commit, one PR comment with per-endpoint p95, throughput and errors', async () => {
    const svc = await demo()
    healthy = world.mergeWorkload(e2eWorkload(svc.url))
    const res = await world.runTest(healthy)

    expect(res.errors).toEqual([])
    expect(res.exitCode).toBe(0)
    expect(res.outputs.verdict).toBe('pass')
    expect(res.outputs['results-dir']).toBe(join(world.repo.clone, 'peakcast-results'))

    // the numbers reported are those of the steady-state rows of the JTL, computed independently here
    const rows = readJtlRows(join(world.repo.clone, 'peakcast-results', SERVICE, 'shard-0', 'results.jtl'))
    const from = Math.min(...rows.map(r => r.timeStamp)) + 1000
    const steady = rows.filter(r => r.timeStamp >= from)
    expect(Number(res.outputs['p95-ms'])).toBe(nearestRank(steady.map(r => r.elapsed), 95))
    const span = (Math.max(...steady.map(r => r.timeStamp + r.elapsed)) - Math.min(...steady.map(r => r.timeStamp))) / 1000
    expect(Number(res.outputs['throughput-rps'])).toBeCloseTo(steady.length / span, 1)
    expect(Number(res.outputs['error-rate'])).toBe(0)

    const runs = runsOn(healthy.sha)
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ name: `peakcast load test (${SERVICE})`, status: 'completed', conclusion: 'success' })
    expect(world.github.state.checkRuns).toHaveLength(1)

    const comments = world.github.state.comments.filter(c => c.issueNumber === healthy.pull)
    expect(comments).toHaveLength(1)
    firstComment = comments[0].body
    expect(firstComment).toContain(`<!-- peakcast:load-test:${SERVICE} -->`)
    expect(firstComment).toContain('| Endpoint | Requests | p50 | p95 | p99 | Throughput | Errors |')
    for (const label of ['GET /products/{id}', 'GET /search', 'POST /cart', 'GET /checkout']) {
      const mine = steady.filter(r => r.label === label)
      const row = firstComment.split('\n').find(l => l.startsWith(`| ${label} |`))
      expect(row).toBeDefined()
      const cells = row!.split('|').map(c => c.trim())
      expect(cells[2]).toBe(mine.length.toLocaleString('en-US'))
      expect(cells[4]).toBe(`${nearestRank(mine.map(r => r.elapsed), 95)} ms`)
      expect(cells[6]).toMatch(/^\d+\.\d rps$/)
      expect(cells[7]).toBe('0.00%')
    }
    expect(res.summary).toContain(firstComment.trim())

    const records = history()
    expect(records.map(r => [r.runId, r.commit, r.verdict])).toEqual([[`run-${healthy.sha.slice(0, 8)}`, healthy.sha, 'pass']])
    expect(records[0].total.count).toBe(steady.length)
  }, 120_000)

  test('a rerun updates the same comment and check run instead of adding new ones', async () => {
    const before = world.github.requests.length
    const res = await world.runTest(healthy, { runAttempt: 2 })
    expect(res.exitCode).toBe(0)

    const requests = world.github.requests.slice(before)
    expect(requests.filter(r => r.operationId === 'issues/update-comment')).toHaveLength(1)
    expect(requests.filter(r => r.operationId === 'issues/create-comment')).toHaveLength(0)
    expect(requests.filter(r => r.operationId === 'checks/update')).toHaveLength(1)
    expect(world.github.state.comments.filter(c => c.issueNumber === healthy.pull)).toHaveLength(1)
    expect(runsOn(healthy.sha)).toHaveLength(1)
    expect(world.github.state.comments[0].body).not.toBe(firstComment) // a fresh run, fresh numbers
    expect(history()).toHaveLength(1) // same run id: the record is replaced, not duplicated
  }, 120_000)

  test('injected latency fails the run, naming the failing criterion', async () => {
    const slow = await demo(400)
    const merge = world.mergeWorkload(e2eWorkload(slow.url, { targetRps: 20 }))
    const res = await world.runTest(merge)

    expect(res.exitCode).toBe(1)
    expect(res.outputs.verdict).toBe('fail')
    expect(Number(res.outputs['p95-ms'])).toBeGreaterThanOrEqual(400)
    expect(res.errors.join('\n')).toMatch(/demo-api: SLO fail: p95\(latency_ms\) overall = \d+ ms, limit < 300 ms/)

    const runs = runsOn(merge.sha)
    expect(runs).toHaveLength(1)
    expect(runs[0].conclusion).toBe('failure')
    expect(runs[0].output.summary).toContain('p95(latency_ms) overall = ')
    expect(runs[0].output.summary).toContain('key objective failed')
    const comment = world.github.state.comments.find(c => c.issueNumber === merge.pull)
    expect(comment?.body).toContain('FAIL')
    expect(history().map(r => r.verdict)).toEqual(['pass', 'fail'])
  }, 120_000)

  test('a +25% regression against passing runs in the history trips the "<= +10%" criterion', async () => {
    // Three earlier passing runs with POST /cart at p95 = 80 ms; the service now answers in 100 ms + its own time.
    const template = history()[0]
    let text = world.repo.readFile(HISTORY_BRANCH, historyPath(SERVICE)) ?? ''
    for (const i of [1, 2, 3]) {
      const labels = { ...template.labels, 'POST /cart': { ...template.labels['POST /cart'], p95: 80 } }
      text = appendRun(text, { ...template, runId: `earlier-${i}`, verdict: 'pass', labels })
    }
    pushHistory(world, text)

    const svc = await demo(100)
    const merge = world.mergeWorkload(e2eWorkload(svc.url, { targetRps: 20 }))
    const res = await world.runTest(merge)

    const run = runsOn(merge.sha)[0]
    const cartRow = run.output.text?.split('\n').find(l => l.includes('| POST /cart |') && l.includes('<= +10%'))
    expect(cartRow).toBeDefined()
    expect(cartRow).toMatch(/^\| ❌ \|/)
    const change = Number(/\+(\d+\.\d)% vs baseline 80 ms/.exec(cartRow!)?.[1])
    expect(change).toBeGreaterThanOrEqual(25)
    // the other objectives hold, so the weighted score decides: 3 of 4 → 75 % → warning
    expect(res.outputs.verdict).toBe('warning')
    expect(run.conclusion).toBe('neutral')
    expect(res.exitCode).toBe(0) // fail-on: fail
    expect(run.output.summary).toContain('p95(latency_ms) on POST /cart')
  }, 120_000)
})

/** Replaces the history file on the history branch of origin, as an earlier job would have. */
function pushHistory(world: E2eWorld, text: string): void {
  const { repo } = world
  const dir = join(repo.root, 'history-seed')
  repo.git(['clone', '-q', '--branch', HISTORY_BRANCH, repo.bare, dir], repo.root)
  const file = join(dir, historyPath(SERVICE))
  writeFileSync(file, text)
  repo.git(['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-am', 'earlier runs'], dir)
  repo.git(['push', '-q', 'origin', HISTORY_BRANCH], dir)
}
