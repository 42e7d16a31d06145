import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { startDemoService, type DemoService } from '../../src/demo/service.js'
import { renderJmx } from '../../src/jmeter/jmx.js'
import { runJmeterLocal } from '../../src/jmeter/local-runner.js'
import { memoryLogger } from '../../src/util/log.js'
import { expectedRequests, timerMeanMs } from '../../src/workload/session-mix.js'
import type { BehaviourProfile, Workload } from '../../src/workload/workload.js'
import { TWO_PROFILES } from '../fixtures/profiles/two-profiles.js'
import { demoWorkload, ensureJmeter } from '../helpers/jmeter.js'

/**
 * The walk jmx.ts documents, written from its description: draw i of a session is
 * mix((mix(seed·1000003 + thread) + i·2654435769) mod 2³²) / 2³² with Mueller's 32-bit mix;
 * draw 0 picks the profile by share, draw 1 the start state, draw t + 1 the state after step t.
 */
function predictedWalk(profiles: BehaviourProfile[], endpoints: string[], seed: number, thread: number): string[] {
  const M = 2n ** 32n
  const mix = (v: bigint) => {
    let x = (((v / 65536n) ^ v) * 73244475n) % M
    x = (((x / 65536n) ^ x) * 73244475n) % M
    return (x / 65536n) ^ x
  }
  const base = mix((BigInt(seed) * 1000003n + BigInt(thread)) % M)
  const draw = (i: number) => Number(mix((base + BigInt(i) * 2654435769n) % M)) / 2 ** 32
  // cumulative in 1/10000 units; what a row leaves to 1 is the exit (index = its length)
  const pick = (probs: number[], u: number) => {
    let acc = 0
    for (let j = 0; j < probs.length; j++) if (u < (acc += Math.round(probs[j] * 10000)) / 10000) return j
    return probs.length
  }
  const total = profiles.reduce((a, p) => a + p.share, 0)
  const p = profiles[Math.min(pick(profiles.map(q => q.share / total), draw(0)), profiles.length - 1)]
  const path: string[] = []
  let s = Math.min(pick(p.start, draw(1)), p.states.length - 1)
  for (let i = 2; s < p.states.length; i++) {
    path.push(p.states[s])
    s = pick(p.transitions[s], draw(i))
  }
  expect(path.every(e => endpoints.includes(e))).toBe(true)
  return path
}

interface Row {
  timeStamp: string
  elapsed: string
  label: string
  threadName: string
  success: string
}

// A real JMeter 5.6.3 run of a two-profile session plan against the demo service: 2 s ramp,
// 12 s of arrivals, 6 s for the last sessions to finish (about 25 s of wall time).
describe('real JMeter run of a workload with behaviour profiles', () => {
  const rps = 60
  const duration = 12
  const rampUp = 2
  let jmeterHome: string
  let svc: DemoService
  let dir: string

  beforeAll(async () => {
    jmeterHome = ensureJmeter()
    svc = await startDemoService()
    dir = mkdtempSync(join(tmpdir(), 'peakcast-profiles-run-'))
  }, 10 * 60_000)

  afterAll(async () => {
    await svc?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('sessions follow the profile chains at the target request rate, with think time between requests', async () => {
    const w: Workload = { ...demoWorkload(svc.url, { targetRps: rps, duration, rampUp }), profiles: TWO_PROFILES }
    const jmx = join(dir, 'plan.jmx')
    writeFileSync(jmx, renderJmx(w))
    const log = memoryLogger()
    const run = await runJmeterLocal({ jmx, outDir: join(dir, 'out'), jmeterHome, timeoutMs: 90_000, log, heap: '512m', props: { 'peakcast.drain': 6 } })

    expect(run.exitCode).toBe(0)
    expect(readFileSync(run.jmeterLog, 'utf8').split('\n').filter(l => / (ERROR|WARN) /.test(l))).toEqual([])
    const rows: Row[] = parse(readFileSync(run.jtl), { columns: true })
    expect(rows.filter(r => r.success !== 'true')).toEqual([])

    // Request rate in the steady state: sessions arrive for `duration` s after the ramp; skip the
    // first 2 s of it (sessions still building up) and the last second.
    const starts = rows.map(r => Number(r.timeStamp)).sort((a, b) => a - b)
    const from = starts[0] + (rampUp + 2) * 1000
    const to = starts[0] + (rampUp + duration - 1) * 1000
    const achieved = starts.filter(t => t >= from && t < to).length / ((to - from) / 1000)
    expect(Math.abs(achieved - rps) / rps).toBeLessThanOrEqual(0.15)

    // Sessions: each open-model arrival is its own thread.
    const sessions = new Map<string, Row[]>()
    for (const r of rows) sessions.set(r.threadName, [...(sessions.get(r.threadName) ?? []), r])
    for (const list of sessions.values()) list.sort((a, b) => Number(a.timeStamp) - Number(b.timeStamp))
    const paths = [...sessions.values()].map(list => list.map(r => r.label))
    const meanLength = rows.length / sessions.size
    const expectedLength = TWO_PROFILES.reduce((a, p) => a + p.share * expectedRequests(p), 0)
    expect(Math.abs(meanLength - expectedLength) / expectedLength).toBeLessThan(0.15)

    // Every session walked exactly the path its (seed, thread number) gives: thread "<group> 1-N" is number N - 1.
    const names = w.endpoints.map(e => e.name)
    const mismatched = [...sessions.entries()].filter(([thread, list]) => {
      const n = Number(/-(\d+)$/.exec(thread)?.[1]) - 1
      return predictedWalk(TWO_PROFILES, names, 1, n).join(' > ') !== list.map(r => r.label).join(' > ')
    })
    expect(mismatched.map(([t]) => t)).toEqual([])

    // First requests: browser starts on search with 0.7, on products with 0.3; buyer always on products.
    const within = (observed: number, n: number, p: number) => {
      const sigma = Math.sqrt((p * (1 - p)) / n)
      expect(Math.abs(observed / n - p)).toBeLessThanOrEqual(Math.max(4 * sigma, 0.03))
    }
    const [browser, buyer] = TWO_PROFILES
    within(paths.filter(p => p[0] === 'GET /search').length, paths.length, browser.share * browser.start[1])
    // Strong transitions: search → products (0.8, browser only) and cart → checkout (0.7, buyer only).
    const after = (from: string) => paths.flatMap(p => p.slice(1).filter((_, i) => p[i] === from))
    const afterSearch = after('GET /search')
    within(afterSearch.filter(e => e === 'GET /products/{id}').length, afterSearch.length, browser.transitions[1][0])
    const afterCart = after('POST /cart')
    within(afterCart.filter(e => e === 'GET /checkout').length, afterCart.length, buyer.transitions[2][0])

    // Think time: the gap from one response to the next request of the same session is the
    // profile's timer (browser: Gaussian 300 ± 40 ms, buyer: constant 150 ms) plus JMeter's own
    // few milliseconds per step; a session's profile shows in its endpoints.
    const gaps = (isProfile: (path: string[]) => boolean) =>
      [...sessions.values()]
        .filter(list => isProfile(list.map(r => r.label)))
        .flatMap(list => list.slice(1).map((r, i) => Number(r.timeStamp) - Number(list[i].timeStamp) - Number(list[i].elapsed)))
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const buyerGaps = gaps(p => p.includes('POST /cart'))
    const browserGaps = gaps(p => p.includes('GET /search'))
    expect(buyerGaps.length).toBeGreaterThan(50)
    expect(browserGaps.length).toBeGreaterThan(50)
    for (const [observed, think] of [[mean(buyerGaps), timerMeanMs(buyer.thinkTime)], [mean(browserGaps), timerMeanMs(browser.thinkTime)]]) {
      expect(observed).toBeGreaterThanOrEqual(think - 5)
      expect(observed).toBeLessThanOrEqual(think * 1.1 + 10)
    }
    // a Constant Timer never fires early
    expect(Math.min(...buyerGaps)).toBeGreaterThanOrEqual(150)
    // The server saw exactly what the JTL says was sent.
    const counts: Record<string, number> = {}
    for (const r of rows) counts[r.label] = (counts[r.label] ?? 0) + 1
    expect(svc.stats().requests).toEqual(counts)
  }, 120_000)
})
