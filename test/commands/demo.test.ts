/**
 * The README's main job, in-process: bundled telemetry → default ONNX model → workload YAML + JMX
 * → a real (short) JMeter run against the demo service → the report.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { demoCommand } from '../../src/commands/demo.js'
import { loadConfig } from '../../src/config/load-config.js'
import { resolveForecaster } from '../../src/forecast/resolve.js'
import { loadTelemetry } from '../../src/telemetry/source.js'
import { memoryLogger } from '../../src/util/log.js'
import { actionRoot } from '../../src/util/paths.js'
import { planWorkload } from '../../src/workload/plan.js'
import { parseWorkloadYaml } from '../../src/workload/workload-yaml.js'
import { ensureJmeter } from '../helpers/jmeter.js'

const templateDir = join(actionRoot(), 'template-repo')

async function planOnce() {
  const config = loadConfig(join(templateDir, 'peakcast.yaml'))
  const service = config.services[0]
  const { series } = await loadTelemetry(service.telemetry, { service: service.name, baseDir: templateDir, env: {}, log: memoryLogger() })
  return planWorkload({ service, series, forecaster: await resolveForecaster(service.model, templateDir) })
}

describe('peakcast demo', () => {
  let dir: string
  beforeAll(async () => {
    await ensureJmeter()
    dir = mkdtempSync(join(tmpdir(), 'peakcast-demo-'))
  }, 300_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('gives byte-identical workload YAML and JMX for the same inputs', async () => {
    const a = await planOnce()
    const b = await planOnce()
    expect(b.yaml).toBe(a.yaml)
    expect(b.jmx).toBe(a.jmx)
    // the target follows the forecast: P90 peak × headroom
    const w = parseWorkloadYaml(a.yaml, 'demo-api.yaml')
    expect(w.test.targetRps).toBeCloseTo(a.peak.rps.p90 * 1.1, 1)
    expect(a.forecast.model).toMatch(/^xgb-peak@sha256:/)
  })

  it('runs JMeter for real and reports per-endpoint p95, throughput and errors', async () => {
    const log = memoryLogger()
    const outcome = await demoCommand.run({ out: dir, seconds: 8 }, { log, cwd: dir, env: process.env, now: Date.now() })
    const yaml = readFileSync(join(dir, 'workloads', 'demo-api.yaml'), 'utf8')
    const w = parseWorkloadYaml(yaml, 'demo-api.yaml')
    expect(outcome.text).toMatch(/Forecast for the week after .*peak \d{4}-\d\d-\d\d at \d\d:00Z/)
    for (const e of w.endpoints) expect(outcome.text).toContain(`| ${e.name} |`)
    expect(outcome.text).toMatch(/\*\*All endpoints\*\* \| \d+ \|/)
    expect(outcome.outputs?.['target-rps']).toBe(String(w.test.targetRps))
    expect(readFileSync(join(dir, 'results', 'jmeter.log'), 'utf8')).not.toMatch(/ ERROR /)
    expect(log.lines.some(l => l.startsWith('jmeter: summary'))).toBe(true)
  }, 180_000)
})
