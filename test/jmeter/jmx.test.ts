import { execFileSync } from 'node:child_process'
import { drainSeconds, renderJmx } from '../../src/jmeter/jmx.js'
import { PeakcastError } from '../../src/util/errors.js'
import { TWO_PROFILES } from '../fixtures/profiles/two-profiles.js'
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

describe('renderJmx with behaviour profiles', () => {
  const w = { ...demoWorkload('http://127.0.0.1:8080'), profiles: TWO_PROFILES }
  const noBareComma = (inner: string) => {
    let depth = 0
    for (let i = 0; i < inner.length; i++) {
      if (inner[i] === '$' && inner[i + 1] === '{') depth++
      else if (inner[i] === '}' && depth > 0) depth--
      else if (inner[i] === ',' && depth === 0 && inner[i - 1] !== '\\') return false
    }
    return true
  }

  test('a plan without profiles has no session elements (an empty list renders the plain plan)', () => {
    const plain = renderJmx(demoWorkload('http://127.0.0.1:8080'))
    expect(renderJmx({ ...demoWorkload('http://127.0.0.1:8080'), profiles: [] })).toBe(plain)
    expect(plain).not.toMatch(/WhileController|TestAction|sessionRate/)
  })

  test('sessions arrive at peakcast.rps ÷ expected requests per session, a -J property', () => {
    const xml = renderJmx(w)
    expect(renderJmx(structuredClone(w))).toBe(xml)
    const props = parseWithPython(xml).props
    const schedule = props['OpenModelThreadGroup.schedule'][0]
    expect(schedule).toContain('rate(${__P(peakcast.sessionRate,${__jexl3(${__P(peakcast.rps,40)} / ')
    const divisor = Number(/peakcast\.rps,40\)\} \/ ([\d.]+)\)\}/.exec(schedule)?.[1])
    // by hand: browser visits solve v·(I − T) = start → v = (2.8621, 1.4138), 4.2759 requests;
    // buyer: products 1/(1 − 0.9·0.2) = 1.2195, cart 0.9 of that, checkout 0.7 of cart → 3.0854;
    // shares 0.6 / 0.4 → 3.7997 requests per session
    expect(divisor).toBeCloseTo(3.7997, 3)
    const names = props['Argument.name']
    expect(names).toContain('peakcast.sessionRate')
    expect([...names].sort()).toEqual(names)
    // sessions outlive the schedule: the drain covers a few of them, at least the plain 10 s
    expect(xml).toMatch(/\$\{__P\(peakcast\.drain,(\d+)\)\}/)
    expect(Number(/\$\{__P\(peakcast\.drain,(\d+)\)\}/.exec(xml)?.[1])).toBeGreaterThanOrEqual(10)
    // the runner's time limit reads the same drain the plan pauses for
    expect(drainSeconds(w)).toBe(Number(/\$\{__P\(peakcast\.drain,(\d+)\)\}/.exec(xml)?.[1]))
    expect(drainSeconds(demoWorkload('http://127.0.0.1:8080'))).toBe(10)
  })

  test('one walk per session, a While over its steps, think time only when another request follows', () => {
    const xml = renderJmx(w)
    const tree = JSON.parse(
      execFileSync(
        'python3',
        [
          '-c',
          `
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
tg = next(kids[i + 1] for parent in root.iter('hashTree') for kids in [list(parent)] for i, k in enumerate(kids) if k.tag == 'OpenModelThreadGroup')
def walk(tree):
    out = []
    kids = list(tree)
    for el, sub in zip(kids[0::2], kids[1::2]):
        out.append({'tag': el.tag, 'name': el.get('testname'), 'children': walk(sub)})
    return out
print(json.dumps(walk(tg)))
`
        ],
        { input: xml, encoding: 'utf8' }
      )
    )
    type Node = { tag: string; name: string; children: Node[] }
    const shape = (n: Node): unknown => (n.tag === 'HTTPSamplerProxy' ? n.name : { [n.tag]: n.children.map(shape) })
    expect((tree as Node[]).map(shape)).toEqual([
      {
        IfController: [
          {
            WhileController: [
              { SwitchController: w.endpoints.map(e => e.name) },
              { IfController: [{ SwitchController: [{ TestAction: [{ GaussianRandomTimer: [] }] }, { TestAction: [{ ConstantTimer: [] }] }] }] }
            ]
          }
        ]
      }
    ])
    const props = parseWithPython(xml).props
    expect(props['ConstantTimer.delay']).toEqual(['300', '150'])
    expect(props['RandomTimer.range']).toEqual(['40'])
    // the walk is JEXL (no Groovy), its argument has no comma JMeter would split on
    const walk = props['IfController.condition'][0]
    expect(walk.startsWith('${__jexl3(')).toBe(true)
    expect(noBareComma(walk.slice('${__jexl3('.length, -2))).toBe(true)
    expect(xml).not.toMatch(/groovy|JSR223/i)
  })

  test('bad profiles name the field', () => {
    const stranger = structuredClone(w)
    stranger.profiles[0].states[1] = 'GET /nowhere'
    expect(() => renderJmx(stranger)).toThrow(PeakcastError)
    expect(() => renderJmx(stranger)).toThrow(/profiles\[0\]\.states\[1\]/)
    const short = structuredClone(w)
    short.profiles[1].transitions[1] = [0, 0]
    expect(() => renderJmx(short)).toThrow(/profiles\[1\]\.transitions\[1\]/)
    const endless = structuredClone(w)
    endless.profiles[1].transitions[0] = [1, 0, 0]
    endless.profiles[1].transitions[2] = [1, 0, 0]
    expect(() => renderJmx(endless)).toThrow(/buyer.*never leave/)
  })
})
