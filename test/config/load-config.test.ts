import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CONFIG_DEFAULTS, loadConfig, parseConfig } from '../../src/config/load-config.js'
import { YamlValidationError } from '../../src/config/yaml-validate.js'

const fixture = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/config/peakcast.yaml')

function problemsOf(text: string, file = 'peakcast.yaml'): string[] {
  try {
    parseConfig(text, file)
  } catch (err) {
    expect(err).toBeInstanceOf(YamlValidationError)
    return (err as YamlValidationError).problems.map(p => `${p.file}:${p.line} ${p.field}: ${p.message}${p.expected ? ` (expected ${p.expected})` : ''}`)
  }
  throw new Error('expected the config to be rejected')
}

const service = (extra: string) => `version: 1
services:
  - name: a
    target: {baseUrl: "https://a.example"}
    telemetry: {type: file, path: a.csv}
    endpoints:
      - {name: "GET /a", method: GET, path: /a}
${extra}`

describe('loadConfig', () => {
  it('reads the fixture, fills defaults and converts durations to seconds', () => {
    const c = loadConfig(fixture)
    expect(c.services.map(s => s.name)).toEqual(['checkout-api', 'search'])
    const [checkout, search] = c.services
    expect(checkout.duration).toBe(3600)
    expect(checkout.rampUp).toBe(90)
    expect(checkout.headroom).toBe(1.2)
    expect(checkout.thinkTime).toEqual({ meanMs: 100, stdDevMs: 20 })
    expect(checkout.endpoints[1].body).toBe('{"sku": 1}')
    expect(search.headroom).toBe(1.1)
    expect(search.duration).toBe(30 * 60)
    expect(search.rampUp).toBe(5 * 60)
    expect(search.latencyMs).toBe(200)
    expect(search.historyWeeks).toBe(8)
    expect(search.telemetry).toEqual({ type: 'prometheus', url: 'http://prometheus:9090', auth: { type: 'bearer', tokenEnv: 'PROM_TOKEN' } })
    expect(c.pullRequest).toEqual({ labels: ['peakcast'], reviewers: ['perf-team'], branchPrefix: 'peakcast/forecast/', maxChangePercent: 50 })
  })

  it('does not share default arrays between configs', () => {
    const a = parseConfig(service(''), 'a.yaml')
    a.pullRequest.labels.push('mutated')
    expect(CONFIG_DEFAULTS.pullRequest.labels).toEqual(['peakcast'])
    expect(parseConfig(service(''), 'b.yaml').pullRequest.labels).toEqual(['peakcast'])
  })

  it('names the file when it cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peakcast-config-'))
    try {
      expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read the config/)
      const bad = join(dir, 'bad.yaml')
      writeFileSync(bad, 'version: 2\nservices: []\n')
      expect(() => loadConfig(bad)).toThrow(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1 version`))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('config errors name file, line and field', () => {
  it('unknown key: names the key and lists the allowed ones', () => {
    const problems = problemsOf(service('    headrom: 1.3\n'))
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^peakcast\.yaml:8 services\[0\]\.headrom: unknown key "headrom" \(expected one of: name, target, telemetry, endpoints, headroom,/)
  })

  it('unknown key inside the chosen telemetry type lists that type\'s keys', () => {
    const text = service('').replace('{type: file, path: a.csv}', '{type: file, path: a.csv, query: x}')
    expect(problemsOf(text)).toEqual(['peakcast.yaml:5 services[0].telemetry.query: unknown key "query" (expected one of: type, path, format, timezone)'])
  })

  it('wrong type: says which type was expected', () => {
    expect(problemsOf(service('    headroom: lots\n'))).toEqual([
      'peakcast.yaml:8 services[0].headroom: wrong type: got string "lots" (expected number)'
    ])
  })

  it('missing required key: names the key at its parent', () => {
    const text = 'version: 1\nservices:\n  - name: a\n    telemetry: {type: file, path: a.csv}\n    endpoints:\n      - {name: x, method: GET, path: /x}\n'
    expect(problemsOf(text)).toEqual(['peakcast.yaml:3 services[0].target: missing required key "target" (expected object)'])
  })

  it('bad duration: shows the accepted forms', () => {
    expect(problemsOf(service('    duration: half an hour\n'))).toEqual([
      'peakcast.yaml:8 services[0].duration: string "half an hour" is not valid (expected a duration such as "30m", "90s", "1h30m", or a number of seconds)'
    ])
  })

  it('YAML syntax error: gives line and column', () => {
    const problems = problemsOf('version: 1\nservices:\n  - name: "unterminated\n    target: x\n', 'cfg/peakcast.yaml')
    expect(problems.length).toBeGreaterThan(0)
    expect(problems[0]).toMatch(/^cfg\/peakcast\.yaml:\d+ : YAML syntax error at \d+:\d+: /)
  })

  it('reports every problem at once, in line order, in the error message', () => {
    const text = service('    headroom: "1.2"\n    colour: blue\n    rampUp: -5\n')
    let message = ''
    try {
      parseConfig(text, 'peakcast.yaml')
    } catch (err) {
      message = (err as Error).message
    }
    const lines = message.split('\n')
    expect(lines[0]).toBe('peakcast.yaml: 3 problems:')
    expect(lines.slice(1).map(l => l.trim().split(' ')[0])).toEqual(['peakcast.yaml:8', 'peakcast.yaml:9', 'peakcast.yaml:10'])
    expect(lines[3]).toContain('rampUp: number -5 is out of range (expected a number >= 0)')
  })

  it('unknown telemetry type lists the known ones', () => {
    const text = service('').replace('{type: file, path: a.csv}', '{type: kafka}')
    expect(problemsOf(text)).toEqual([
      'peakcast.yaml:5 services[0].telemetry.type: unknown type "kafka" (expected one of: "file", "accesslog", "newrelic", "prometheus", "splunk")'
    ])
  })

  it('cross-field rules: duplicate names, weights over 100 %, ramp-up longer than the test', () => {
    const text = `version: 1
services:
  - name: a
    target: {baseUrl: "https://a.example"}
    telemetry: {type: file, path: a.csv}
    endpoints:
      - {name: "GET /a", method: GET, path: /a, weight: 0.6}
      - {name: "GET /a", method: GET, path: /b, weight: 0.6}
    duration: 10m
    rampUp: 10m
  - name: a
    target: {baseUrl: "https://a.example"}
    telemetry: {type: file, path: a.csv}
    endpoints:
      - {name: "GET /a", method: GET, path: /a, weight: 0.5}
`
    expect(problemsOf(text)).toEqual([
      'peakcast.yaml:6 services[0].endpoints: fixed endpoint weights sum to 1.2 (expected a sum of at most 1)',
      'peakcast.yaml:8 services[0].endpoints[1].name: duplicate endpoint name "GET /a" (also at index 0) (expected a name used once)',
      'peakcast.yaml:10 services[0].rampUp: ramp-up (600 s) is not shorter than the test (600 s) (expected rampUp < duration)',
      'peakcast.yaml:11 services[1].name: duplicate service name "a" (also at index 0) (expected a name used once)',
      'peakcast.yaml:14 services[1].endpoints: every endpoint has a fixed weight but they sum to 0.5 (expected a sum of exactly 1, or leave some weights out)'
    ])
  })

  it('a single problem puts its place in the error itself', () => {
    try {
      parseConfig(service('    latencyMs: fast\n'), 'p.yaml')
      throw new Error('not rejected')
    } catch (err) {
      const e = err as YamlValidationError
      expect(e.place).toEqual({ file: 'p.yaml', line: 8, field: 'services[0].latencyMs' })
      expect(e.message).toBe('p.yaml:8 services[0].latencyMs: wrong type: got string "fast" (expected number)')
    }
  })
})
