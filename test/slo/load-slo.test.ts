import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { loadSlo, parseSlo } from '../../src/slo/load-slo.js'
import { PeakcastError } from '../../src/util/errors.js'

describe('slo.yaml', () => {
  test('the DESIGN example loads with its defaults filled in', () => {
    const slo = loadSlo(resolve('test/fixtures/slo/slo.yaml'))
    expect(slo.objectives).toHaveLength(4)
    expect(slo.objectives[0]).toMatchObject({
      metric: 'p95(latency_ms)',
      pass: { kind: 'absolute', op: '<', limit: 300 },
      warning: { kind: 'absolute', op: '<', limit: 400 },
      key: true,
      weight: 1
    })
    expect(slo.objectives[0].endpoint).toBeUndefined()
    expect(slo.objectives[1]).toMatchObject({ metric: 'error_rate', pass: { limit: 0.01 }, key: false })
    expect(slo.objectives[2].pass).toMatchObject({ kind: 'ofTarget', fraction: 0.95 })
    expect(slo.objectives[3]).toMatchObject({ endpoint: 'POST /cart', pass: { kind: 'relative', change: 10, percent: true } })
    expect(slo.comparison).toEqual({ runs: 5, include: 'pass' })
    expect(slo.totalScore).toEqual({ pass: 90, warning: 75 })
  })

  test('defaults when comparison and totalScore are absent; numbers as scores', () => {
    const slo = parseSlo('objectives:\n  - metric: error_rate\n    pass: "< 2%"\n    weight: 2\n', 'slo.yaml')
    expect(slo.comparison).toEqual({ runs: 5, include: 'pass' })
    expect(slo.totalScore).toEqual({ pass: 90, warning: 75 })
    expect(slo.objectives[0].weight).toBe(2)
    expect(parseSlo('objectives: [{metric: error_rate, pass: "< 2%"}]\ntotalScore: {pass: 80, warning: 60.5}\n', 'x').totalScore).toEqual({
      pass: 80,
      warning: 60.5
    })
  })

  test('a criterion that does not fit its metric names file, line and field', () => {
    const text = ['objectives:', '  - metric: p95(latency_ms)', '    pass: "< 300"', '  - metric: error_rate', '    pass: "< 1"', ''].join('\n')
    let err: unknown
    try {
      parseSlo(text, 'config/slo.yaml')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(PeakcastError)
    expect((err as PeakcastError).place).toEqual({ file: 'config/slo.yaml', line: 5, field: 'objectives[1].pass' })
    expect((err as Error).message).toMatch(/^config\/slo\.yaml:5 objectives\[1\]\.pass: criterion "< 1" needs a percentage/)
    expect((err as Error).message).toContain("expected e.g. '< 300' or '<= +10%'")
  })

  test('a criterion the schema cannot read is reported at its line with an example', () => {
    const text = 'objectives:\n  - metric: p95(latency_ms)\n    pass: "< 300"\n    warning: "about 400"\n'
    expect(() => parseSlo(text, 'slo.yaml')).toThrow(/^slo\.yaml:4 objectives\[0\]\.warning: .*"about 400".*< 300/)
  })

  test('an unquoted ">=" criterion (a YAML block scalar) is explained', () => {
    const text = 'objectives:\n  - metric: error_rate\n    pass: "< 1%"\n  - metric: throughput_rps\n    pass: >= 95% of target\n'
    expect(() => parseSlo(text, 'slo.yaml')).toThrow(/^slo\.yaml:5 pass: criterion starting with ">" must be quoted/)
  })

  test('an unknown metric lists the known ones', () => {
    expect(() => parseSlo('objectives:\n  - metric: p42(latency_ms)\n    pass: "< 1"\n', 'slo.yaml')).toThrow(/slo\.yaml:2 objectives\[0\]\.metric: .*p95\(latency_ms\)/)
  })

  test('a warning score above the pass score is refused', () => {
    expect(() => parseSlo('objectives: [{metric: error_rate, pass: "< 2%"}]\ntotalScore:\n  pass: 70%\n  warning: 80%\n', 's.yaml')).toThrow(
      /^s\.yaml:4 totalScore\.warning: warning score 80% is above the pass score 70%/
    )
    expect(() => parseSlo('objectives: [{metric: error_rate, pass: "< 2%"}]\ntotalScore: {pass: 120%}\n', 's.yaml')).toThrow(/s\.yaml:2 totalScore\.pass: score 120% is above 100%/)
  })

  test('a missing file says which file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peakcast-slo-'))
    try {
      expect(() => loadSlo(join(dir, 'slo.yaml'))).toThrow(new RegExp(`^${join(dir, 'slo.yaml').replace(/[/.]/g, '\\$&')}: cannot read the SLO file \\(ENOENT\\)`))
      writeFileSync(join(dir, 'slo.yaml'), 'objectives: []\n')
      expect(() => loadSlo(join(dir, 'slo.yaml'))).toThrow(/slo\.yaml:1 objectives: has too few items/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
