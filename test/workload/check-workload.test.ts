import { describe, expect, test } from '@jest/globals'
import { renderJmx } from '../../src/jmeter/jmx.js'
import { checkWorkload } from '../../src/workload/check-workload.js'
import { renderValidationReport, valueChanges, verdictOf, workloadChanges, type FileReport } from '../../src/workload/explain-change.js'
import type { Workload } from '../../src/workload/workload.js'
import { renderWorkloadYaml } from '../../src/workload/workload-yaml.js'

const workload: Workload = {
  apiVersion: 'peakcast/v1',
  kind: 'Workload',
  service: 'shop',
  target: { baseUrl: 'http://127.0.0.1:8080' },
  forecast: {
    model: 'seasonal-naive',
    window: { from: '2026-10-05T00:00Z', to: '2026-11-30T00:00Z' },
    peak: { day: '2026-12-04', hour: '14:00Z', rps: { p10: 80, p50: 95, p90: 100 } },
    lastWeekPeakRps: 90
  },
  test: { targetRps: 110, headroom: 1.1, duration: 1800, rampUp: 300, threads: 40, latencyMs: 200, thinkTime: { distribution: 'gaussian', meanMs: 100, stdDevMs: 20 } },
  endpoints: [
    { name: 'GET /a', method: 'GET', path: '/a', weight: 0.6 },
    { name: 'POST /b', method: 'POST', path: '/b', weight: 0.4, body: '{}' }
  ]
}
const FILE = 'workloads/shop.yaml'
const JMX = 'workloads/shop.jmx'
const yaml = (w: Workload) => renderWorkloadYaml(w, {})
const check = (text: string, o: { jmx?: string | null; base?: Workload | null; file?: string } = {}) =>
  checkWorkload({ file: o.file ?? FILE, text, jmxFile: JMX, committedJmx: o.jmx === undefined ? renderJmx(workload) : o.jmx, base: o.base ?? null, maxChangePercent: 50 })

describe('checkWorkload', () => {
  test('a generated workload with its own JMX is valid', () => {
    const r = check(yaml(workload), { base: workload })
    expect(r.problems).toEqual([])
    expect(r.changes).toEqual([])
    expect(r.jmx).toBe(renderJmx(workload))
  })

  test('a schema break is reported at the line of the field', () => {
    const text = yaml(workload).replace('  threads: 40', '  threads: many')
    const line = text.split('\n').findIndex(l => l === '  threads: many') + 1
    const r = check(text)
    expect(r.workload).toBeNull()
    expect(r.problems).toEqual([expect.objectContaining({ file: FILE, line, field: 'test.threads' })])
  })

  test('a service that does not match the file name, and a stale JMX, are problems', () => {
    const r = check(yaml(workload), { file: 'workloads/other.yaml', jmx: '<old/>' })
    expect(r.problems.map(p => [p.file, p.line, p.field])).toEqual([
      ['workloads/other.yaml', yaml(workload).split('\n').findIndex(l => l.startsWith('service:')) + 1, 'service'],
      [JMX, 1, undefined]
    ])
    expect(r.problems[1].message).toMatch(/^stale: .*peakcast validate --fix/)
    expect(check(yaml(workload), { jmx: null }).problems[0].message).toMatch(/^missing: /)
  })

  test('a change beyond maxChangePercent warns and names the parameter', () => {
    const next = { ...workload, test: { ...workload.test, targetRps: 170 } }
    const r = check(yaml(next), { base: workload, jmx: renderJmx(next) })
    expect(r.problems).toEqual([])
    expect(r.warnings).toHaveLength(1)
    expect(r.warnings[0]).toMatch(/^test\.targetRps changed by \+54\.5% \(110 → 170\)/)
    const report: FileReport = { path: FILE, kind: 'workload', status: 'changed', problems: [], changes: r.changes, warnings: r.warnings }
    expect(verdictOf([report])).toBe('neutral')
    expect(renderValidationReport({ files: [report], base: 'main' })).toContain('| `test.targetRps` | 110 | 170 | +54.5% |')
  })
})

describe('valueChanges and workloadChanges', () => {
  test('named list items are matched by name, so reordering is no change', () => {
    const a = { services: [{ name: 'x', headroom: 1.1 }, { name: 'y', headroom: 1.2 }] }
    const b = { services: [{ name: 'y', headroom: 1.2 }, { name: 'x', headroom: 1.5 }] }
    expect(valueChanges(a, b)).toEqual([{ path: 'services[x].headroom', old: 1.1, new: 1.5, changePercent: expect.closeTo(((1.5 - 1.1) / 1.1) * 100, 6), why: 'edited' }])
    expect(valueChanges(a, { services: [a.services[1]] }).map(c => [c.path, c.new])).toEqual([
      ['services[x].headroom', null],
      ['services[x].name', null]
    ])
  })

  test('fields outside the reviewed parameters (a request body, the base URL) are listed too', () => {
    const next: Workload = { ...workload, target: { baseUrl: 'http://shop:9090' }, endpoints: [workload.endpoints[0], { ...workload.endpoints[1], body: '{"q":1}' }] }
    const paths = workloadChanges(workload, next, []).map(c => c.path)
    expect(paths).toEqual(['endpoints[POST /b].body', 'target.baseUrl'])
  })
})
