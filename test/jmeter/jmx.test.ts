import { execFileSync } from 'node:child_process'
import { renderJmx } from '../../src/jmeter/jmx.js'
import { PeakcastError } from '../../src/util/errors.js'
import { demoWorkload } from '../helpers/jmeter.js'

/**
 * Parses the plan with Python's XML parser (independent of the renderer) and returns what the
 * tests look at: sampler names/paths/methods, every stringProp by name, the schedule.
 */
function parseWithPython(xml: string): { samplers: { name: string; path: string; method: string; body: string | null }[]; props: Record<string, string[]> } {
  const script = `
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
samplers = []
for s in root.iter('HTTPSamplerProxy'):
    get = lambda n: (s.find("stringProp[@name='%s']" % n).text or '')
    body = s.find(".//elementProp[@elementType='HTTPArgument']/stringProp[@name='Argument.value']")
    samplers.append({'name': s.get('testname'), 'path': get('HTTPSampler.path'), 'method': get('HTTPSampler.method'), 'body': None if body is None else body.text})
props = {}
for p in root.iter('stringProp'):
    props.setdefault(p.get('name'), []).append(p.text or '')
print(json.dumps({'samplers': samplers, 'props': props}))
`
  return JSON.parse(execFileSync('python3', ['-c', script], { input: xml, encoding: 'utf8' }))
}

describe('renderJmx', () => {
  const w = demoWorkload('http://127.0.0.1:8080')

  test('is byte-stable: same workload (even a fresh copy) gives the same bytes', () => {
    const a = renderJmx(w)
    const b = renderJmx(structuredClone(w))
    expect(b).toBe(a)
    expect(a).not.toMatch(/20\d\d-\d\d-\d\dT\d\d:\d\d/) // no wall-clock time in the body
  })

  test('is well-formed XML with one sampler per endpoint, labelled by endpoint name', () => {
    const parsed = parseWithPython(renderJmx(w))
    expect(parsed.samplers.map(s => s.name)).toEqual(w.endpoints.map(e => e.name))
    expect(parsed.samplers.map(s => s.method)).toEqual(w.endpoints.map(e => e.method))
    expect(parsed.samplers.map(s => s.path)).toEqual(w.endpoints.map(e => e.path))
    expect(parsed.samplers.map(s => s.body)).toEqual(w.endpoints.map(e => e.body ?? null))
  })

  test('escapes XML special characters so they round-trip exactly', () => {
    const nasty = `GET /q?a=1&b=<2> "x" 'y'`
    const wx = demoWorkload('http://127.0.0.1:8080', {}, [
      { name: nasty, method: 'GET', path: '/q?a=1&b=<2>', weight: 0.6 },
      { name: 'POST ]]> --', method: 'POST', path: '/p', weight: 0.4, body: '{"a":"<&>"}' }
    ])
    const parsed = parseWithPython(renderJmx(wx))
    expect(parsed.samplers.map(s => s.name)).toEqual([nasty, 'POST ]]> --'])
    expect(parsed.samplers[0].path).toBe('/q?a=1&b=<2>')
    expect(parsed.samplers[1].body).toBe('{"a":"<&>"}')
  })

  test('every run-time parameter is a -J property defaulting to the workload value', () => {
    const wx = demoWorkload('https://shop.example.com:8443/api', { targetRps: 1551, duration: 1800, rampUp: 300, threads: 420 })
    const xml = renderJmx(wx)
    const expected: Record<string, string> = {
      'peakcast.rps': '1551',
      'peakcast.duration': '1800',
      'peakcast.rampup': '300',
      'peakcast.threads': '420',
      'peakcast.protocol': 'https',
      'peakcast.host': 'shop.example.com',
      'peakcast.port': '8443'
    }
    for (const [name, value] of Object.entries(expected)) expect(xml).toContain(`\${__P(${name},${value})}`)
    expect(xml).toMatch(/\$\{__P\(peakcast\.seed,\d+\)\}/)
    const props = parseWithPython(xml).props
    expect(props['HTTPSampler.protocol']).toEqual(['${__P(peakcast.protocol,https)}'])
    expect(props['HTTPSampler.domain']).toEqual(['${__P(peakcast.host,shop.example.com)}'])
    expect(props['HTTPSampler.port']).toEqual(['${__P(peakcast.port,8443)}'])
    // the base URL's path prefixes every request path
    expect(parseWithPython(xml).samplers.every(s => s.path.startsWith('/api/'))).toBe(true)
    const schedule = props['OpenModelThreadGroup.schedule'][0]
    expect(schedule).toContain('random_arrivals(${__P(peakcast.rampup,300)} sec) rate(${__P(peakcast.rps,1551)}/sec)')
    expect(schedule).toContain('random_arrivals(${__P(peakcast.duration,1800)} sec)')
  })

  test('default ports follow the protocol', () => {
    expect(renderJmx(demoWorkload('https://a.example'))).toContain('${__P(peakcast.port,443)}')
    expect(renderJmx(demoWorkload('http://a.example'))).toContain('${__P(peakcast.port,80)}')
  })

  test('the endpoint picker has no bare comma JMeter would split its argument on', () => {
    const value = parseWithPython(renderJmx(w)).props['SwitchController.value'][0]
    const inner = value.slice('${__jexl3('.length, -2)
    // nested ${...} calls carry their own arguments; outside them no comma may appear
    let depth = 0
    for (let i = 0; i < inner.length; i++) {
      if (inner[i] === '$' && inner[i + 1] === '{') depth++
      else if (inner[i] === '}' && depth > 0) depth--
      else if (inner[i] === ',' && depth === 0) throw new Error(`bare comma at ${i} in ${inner}`)
    }
    // one branch per endpoint index
    for (let i = 0; i < w.endpoints.length; i++) expect(inner).toContain(String(i))
  })

  test('bad input names the field', () => {
    expect(() => renderJmx(demoWorkload('not a url'))).toThrow(PeakcastError)
    expect(() => renderJmx(demoWorkload('not a url'))).toThrow(/target\.baseUrl/)
    expect(() => renderJmx(demoWorkload('ftp://x'))).toThrow(/target\.baseUrl/)
    expect(() => renderJmx(demoWorkload('http://x', { duration: 1.5 }))).toThrow(/test\.duration/)
    expect(() => renderJmx(demoWorkload('http://x', { targetRps: 0 }))).toThrow(/test\.targetRps/)
    const dup = demoWorkload('http://x', {}, [
      { name: 'A', method: 'GET', path: '/a', weight: 0.5 },
      { name: 'A', method: 'GET', path: '/b', weight: 0.5 }
    ])
    expect(() => renderJmx(dup)).toThrow(/endpoints\[1\]\.name/)
    expect(() => renderJmx(demoWorkload('http://x', {}, []))).toThrow(/endpoints/)
  })
})
