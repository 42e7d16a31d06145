import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { startDemoService, type DemoService } from '../../src/demo/service.js'
import { renderJmx } from '../../src/jmeter/jmx.js'
import { runJmeterLocal } from '../../src/jmeter/local-runner.js'
import { memoryLogger } from '../../src/util/log.js'
import { demoWorkload, ensureJmeter } from '../helpers/jmeter.js'

// A real JMeter 5.6.3 run of a rendered plan against the demo service (about 27 s of wall time).
describe('real JMeter run of a rendered workload', () => {
  const rps = 40
  const duration = 20
  const rampUp = 2
  let jmeterHome: string
  let svc: DemoService
  let dir: string

  beforeAll(async () => {
    jmeterHome = ensureJmeter()
    svc = await startDemoService()
    dir = mkdtempSync(join(tmpdir(), 'peakcast-realrun-'))
  }, 10 * 60_000)

  afterAll(async () => {
    await svc?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('achieves the target rate and endpoint mix, with a clean log', async () => {
    const w = demoWorkload(svc.url, { targetRps: rps, duration, rampUp })
    const jmx = join(dir, 'plan.jmx')
    writeFileSync(jmx, renderJmx(w))
    const log = memoryLogger()
    const run = await runJmeterLocal({ jmx, outDir: join(dir, 'out'), jmeterHome, timeoutMs: 90_000, log, heap: '512m', props: { 'peakcast.drain': 2 } })

    expect(run.exitCode).toBe(0)
    const jmeterLog = readFileSync(run.jmeterLog, 'utf8')
    expect(jmeterLog.split('\n').filter(l => / ERROR /.test(l))).toEqual([])
    expect(log.lines.some(l => l.startsWith('jmeter: summary'))).toBe(true)

    const rows: Record<string, string>[] = parse(readFileSync(run.jtl), { columns: true })
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.filter(r => r.success !== 'true')).toEqual([])

    // Steady state: arrivals stop duration s after the ramp; take the last (duration - 2) s of them.
    const starts = rows.map(r => Number(r.timeStamp)).sort((a, b) => a - b)
    const end = starts[starts.length - 1]
    const from = end - (duration - 1) * 1000
    const to = end - 1000
    const inWindow = starts.filter(t => t >= from && t < to).length
    const achieved = inWindow / ((to - from) / 1000)
    expect(Math.abs(achieved - rps) / rps).toBeLessThanOrEqual(0.1)

    // Whole-run mix: each label's share within 3 percentage points of its weight.
    const counts = new Map<string, number>()
    for (const r of rows) counts.set(r.label, (counts.get(r.label) ?? 0) + 1)
    expect([...counts.keys()].sort()).toEqual(w.endpoints.map(e => e.name).sort())
    for (const e of w.endpoints) {
      expect(Math.abs((counts.get(e.name) ?? 0) / rows.length - e.weight)).toBeLessThanOrEqual(0.03)
    }
    // The server saw exactly what the JTL says was sent.
    expect(svc.stats().requests).toEqual(Object.fromEntries(counts))
  }, 120_000)
})
