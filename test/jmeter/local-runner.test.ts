import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDemoService, type DemoService } from '../../src/demo/service.js'
import { jmeterArgs } from '../../src/jmeter/jmeter-args.js'
import { renderJmx } from '../../src/jmeter/jmx.js'
import { findJmeterHome, runJmeterLocal } from '../../src/jmeter/local-runner.js'
import { PeakcastError } from '../../src/util/errors.js'
import { memoryLogger } from '../../src/util/log.js'
import { demoWorkload, ensureJmeter } from '../helpers/jmeter.js'

/** Whether any process still has this (unique, temp) plan path on its command line. */
function processRunning(planPath: string): boolean {
  const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
  return ps.split('\n').some(l => l.includes(planPath) && l.includes('ApacheJMeter.jar'))
}

describe('findJmeterHome', () => {
  let dir: string
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'peakcast-home-'))))
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  test('accepts JMETER_HOME holding the launcher', () => {
    mkdirSync(join(dir, 'bin'))
    writeFileSync(join(dir, 'bin', 'ApacheJMeter.jar'), '')
    expect(findJmeterHome({ JMETER_HOME: dir })).toBe(dir)
  })

  test('falls back to the install script cache path under PEAKCAST_CACHE', () => {
    const home = join(dir, 'jmeter', 'apache-jmeter-5.6.3')
    mkdirSync(join(home, 'bin'), { recursive: true })
    writeFileSync(join(home, 'bin', 'ApacheJMeter.jar'), '')
    expect(findJmeterHome({ PEAKCAST_CACHE: dir })).toBe(home)
  })

  test('says to run the install script when nothing is there', () => {
    expect(() => findJmeterHome({ JMETER_HOME: dir })).toThrow(PeakcastError)
    expect(() => findJmeterHome({ JMETER_HOME: dir })).toThrow(/scripts\/install-jmeter\.sh/)
    expect(() => findJmeterHome({ PEAKCAST_CACHE: dir })).toThrow(/scripts\/install-jmeter\.sh/)
  })
})

describe('jmeterArgs', () => {
  test('forces the CSV JTL columns and lets caller props override', () => {
    const args = jmeterArgs({ jmx: '/p/x.jmx', jtl: '/o/r.jtl', log: '/o/j.log' }, { 'peakcast.rps': 12, 'summariser.interval': 5 })
    expect(args.slice(0, 7)).toEqual(['-n', '-t', '/p/x.jmx', '-l', '/o/r.jtl', '-j', '/o/j.log'])
    const props = Object.fromEntries(args.slice(7).map(a => a.slice(2).split(/=(.*)/s).slice(0, 2)))
    expect(props['jmeter.save.saveservice.output_format']).toBe('csv')
    expect(props['jmeter.save.saveservice.print_field_names']).toBe('true')
    for (const k of ['label', 'response_code', 'successful', 'time', 'bytes', 'latency', 'connect_time', 'thread_name', 'thread_counts']) {
      expect(props[`jmeter.save.saveservice.${k}`]).toBe('true')
    }
    expect(props['peakcast.rps']).toBe('12')
    expect(props['summariser.interval']).toBe('5')
    expect(args.every(a => !a.startsWith('-J') || a.includes('='))).toBe(true)
  })
})

describe('runJmeterLocal (real JMeter)', () => {
  let jmeterHome: string
  let svc: DemoService
  let dir: string

  beforeAll(async () => {
    jmeterHome = ensureJmeter()
    svc = await startDemoService()
  }, 10 * 60_000)
  afterAll(async () => {
    await svc?.stop()
  })
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'peakcast-local-'))))
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  function longPlan(): string {
    const jmx = join(dir, 'long.jmx')
    writeFileSync(jmx, renderJmx(demoWorkload(svc.url, { targetRps: 20, duration: 600, rampUp: 0 })))
    return jmx
  }

  test('a hard time limit kills JMeter and says so', async () => {
    const jmx = longPlan()
    const t0 = Date.now()
    await expect(runJmeterLocal({ jmx, outDir: join(dir, 'out'), jmeterHome, timeoutMs: 5000, log: memoryLogger() })).rejects.toThrow(
      /did not finish within 5 s and was killed/
    )
    expect(Date.now() - t0).toBeLessThan(15_000)
    expect(processRunning(jmx)).toBe(false)
  }, 60_000)

  test('abort stops JMeter cleanly: the JTL is closed with the samples so far', async () => {
    const jmx = longPlan()
    const ctrl = new AbortController()
    const log = memoryLogger()
    const outDir = join(dir, 'out')
    // abort once at least 20 samples have completed (JMeter's summariser counts them)
    const info = log.info
    let summarised = 0
    log.info = m => {
      info(m)
      const n = /^jmeter: summary \+\s+(\d+) in/.exec(m)
      if (n) summarised += Number(n[1])
      if (summarised >= 20 && !ctrl.signal.aborted) ctrl.abort()
    }
    const run = runJmeterLocal({ jmx, outDir, jmeterHome, timeoutMs: 60_000, log, signal: ctrl.signal, props: { 'summariser.interval': 3 } })
    await expect(run).rejects.toThrow(/aborted/)
    expect(processRunning(jmx)).toBe(false)
    const lines = readFileSync(join(outDir, 'results.jtl'), 'utf8').trim().split('\n')
    expect(lines[0]).toMatch(/^timeStamp,elapsed,label,responseCode/)
    // every sample the summariser had counted is in the closed JTL (plus the header)
    expect(lines.length - 1).toBeGreaterThanOrEqual(summarised)
    expect(log.lines.some(l => l.includes('StopTestNow'))).toBe(true)
    // JMeter stopped itself (not our kill): it took the command and either ran its end-of-test or,
    // when an open-model thread was still in a request, exited on its own after interrupting it
    const jmeterLog = readFileSync(join(outDir, 'jmeter.log'), 'utf8')
    expect(jmeterLog).toMatch(/Command: StopTestNow received/)
    expect(jmeterLog).toMatch(/Notifying test listeners of end of test|StandardJMeterEngine: Exiting/)
  }, 90_000)

  test('a missing plan or launcher is a clear error', async () => {
    await expect(runJmeterLocal({ jmx: join(dir, 'nope.jmx'), outDir: dir, jmeterHome, timeoutMs: 1000, log: memoryLogger() })).rejects.toThrow(/test plan not found/)
    await expect(runJmeterLocal({ jmx: join(dir, 'nope.jmx'), outDir: dir, jmeterHome: dir, timeoutMs: 1000, log: memoryLogger() })).rejects.toThrow(/install-jmeter\.sh/)
    expect(existsSync(join(dir, 'results.jtl'))).toBe(false)
  })
})
