import { describe, expect, test } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { forecastCommand } from '../../src/commands/forecast.js'
import { CONFIG_DEFAULTS, parseConfig } from '../../src/config/load-config.js'
import type { ServiceConfig } from '../../src/config/peakcast-config.js'
import type { Forecast, Peak } from '../../src/forecast/forecaster.js'
import { renderJmx } from '../../src/jmeter/jmx.js'
import { parseAccessLog } from '../../src/telemetry/accesslog.js'
import { HOUR_MS, type Series } from '../../src/telemetry/series.js'
import type { Session } from '../../src/telemetry/sessions.js'
import { memoryLogger } from '../../src/util/log.js'
import { PeakcastError } from '../../src/util/errors.js'
import { checkWorkload } from '../../src/workload/check-workload.js'
import { learnProfiles } from '../../src/workload/profiles.js'
import { endpointMatcher, expectedRequests, expectedVisits, learnServiceProfiles, mapSessions, sessionMix, timerMeanMs } from '../../src/workload/session-mix.js'
import { synthesizeWorkload } from '../../src/workload/synthesize.js'
import type { BehaviourProfile } from '../../src/workload/workload.js'
import { parseWorkloadYaml, renderWorkloadYaml } from '../../src/workload/workload-yaml.js'
import { TWO_PROFILES } from '../fixtures/profiles/two-profiles.js'
import { DEMO_ENDPOINTS, demoWorkload } from '../helpers/jmeter.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const APACHE_LOG = resolve(repoRoot, '../shared/data/elastic-apache-logs/apache_logs')

/** Park–Miller: seeded, so the simulations are the same on every run. */
function rng(seed: number): () => number {
  let s = seed
  return () => (s = (s * 48271) % 2147483647) / 2147483647
}

/** Walks the chain n times; returns mean visits per state and mean length. */
function simulate(p: BehaviourProfile, n: number, next: () => number): { visits: number[]; length: number } {
  const pick = (probs: number[]) => {
    const u = next()
    let acc = 0
    for (let j = 0; j < probs.length; j++) if (u < (acc += probs[j])) return j
    return -1 // what the row leaves to 1: exit
  }
  const visits = p.states.map(() => 0)
  let total = 0
  for (let i = 0; i < n; i++) {
    let s = pick(p.start)
    while (s >= 0) {
      visits[s]++
      total++
      s = pick(p.transitions[s])
    }
  }
  return { visits: visits.map(v => v / n), length: total / n }
}

describe('expected session length', () => {
  test('start·(I−T)⁻¹·1 agrees with a simulation of the chain', () => {
    const next = rng(5)
    for (const p of TWO_PROFILES) {
      const sim = simulate(p, 200_000, next)
      expect(Math.abs(expectedRequests(p) - sim.length) / sim.length).toBeLessThan(0.01)
      expectedVisits(p).forEach((v, i) => expect(Math.abs(v - sim.visits[i])).toBeLessThan(0.02))
    }
  })

  test('random chains: expected visits agree with a simulation', () => {
    const next = rng(17)
    for (let trial = 0; trial < 10; trial++) {
      const k = 1 + Math.floor(next() * 5)
      const norm = (xs: number[], total: number) => xs.map(x => (x / xs.reduce((a, b) => a + b, 0)) * total)
      const p: BehaviourProfile = {
        name: `random-${trial}`,
        share: 1,
        thinkTime: { distribution: 'constant', meanMs: 0, stdDevMs: 0 },
        states: Array.from({ length: k }, (_, i) => `s${i}`),
        start: norm(Array.from({ length: k }, () => next()), 1),
        // exit between 10 % and 60 % from every state
        transitions: Array.from({ length: k }, () => norm(Array.from({ length: k }, () => next()), 0.4 + next() * 0.5))
      }
      const sim = simulate(p, 50_000, next)
      expect(Math.abs(expectedRequests(p) - sim.length) / sim.length).toBeLessThan(0.03)
    }
  })

  test('a closed loop no session can reach is harmless; one it can reach is an error naming the profile', () => {
    const base: BehaviourProfile = { ...TWO_PROFILES[0], states: ['a', 'b'], start: [1, 0], transitions: [[0.5, 0], [0, 1]] }
    expect(expectedRequests(base)).toBeCloseTo(2, 10) // geometric: 1 / (1 − 0.5)
    const trapped = { ...base, transitions: [[0.5, 0.5], [0, 1]] }
    expect(() => expectedRequests(trapped, 'profiles[3]')).toThrow(PeakcastError)
    expect(() => expectedRequests(trapped, 'profiles[3]')).toThrow(/profiles\[3\]\.transitions.*never leave/)
  })

  test("the Gaussian Random Timer's mean (JMeter folds negative draws) matches a simulation", () => {
    const next = rng(23)
    const gauss = () => Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next())
    for (const [m, s] of [[300, 40], [100, 150], [0, 50]]) {
      let sum = 0
      const n = 200_000
      for (let i = 0; i < n; i++) sum += Math.abs(m + s * gauss())
      expect(Math.abs(timerMeanMs({ distribution: 'gaussian', meanMs: m, stdDevMs: s }) - sum / n)).toBeLessThan(1.5)
    }
    expect(timerMeanMs({ distribution: 'constant', meanMs: 150, stdDevMs: 0 })).toBe(150)
  })
})

describe('synthesis with profiles', () => {
  // A: one state looping with 0.75 (4 requests on average); B: a → b → exit (2 requests)
  const A: BehaviourProfile = { name: 'A', share: 0.5, thinkTime: { distribution: 'constant', meanMs: 100, stdDevMs: 0 }, states: ['GET /search'], start: [1], transitions: [[0.75]] }
  const B: BehaviourProfile = {
    name: 'B',
    share: 0.5,
    thinkTime: { distribution: 'constant', meanMs: 200, stdDevMs: 0 },
    states: ['GET /checkout', 'POST /cart'],
    start: [0, 1],
    transitions: [[0, 0], [1, 0]]
  }

  function synth(profiles?: BehaviourProfile[]) {
    const service: ServiceConfig = {
      ...CONFIG_DEFAULTS,
      name: 'demo-shop',
      target: { baseUrl: 'http://127.0.0.1:8080' },
      telemetry: { type: 'file', path: 'x.csv' },
      endpoints: DEMO_ENDPOINTS.map(({ name, method, path }) => ({ name, method, path })),
      latencyMs: 50
    }
    const hours = 24 * 14
    const series: Series = { service: 'demo-shop', start: 0, stepMs: HOUR_MS, total: { requests: Array.from({ length: hours }, () => 3600) }, endpoints: {} }
    const forecast = { model: 'test', start: hours * HOUR_MS, stepMs: HOUR_MS, p10: [], p50: [], p90: [] } as unknown as Forecast
    const peak = { day: '1970-01-15', hour: '14:00Z', rps: { p10: 20, p50: 25, p90: 30 / 1.1 } } as unknown as Peak
    return synthesizeWorkload({ service, series, forecast, peak, lastWeekPeakRps: 1, anomalies: [], window: { from: 0, to: hours * HOUR_MS }, ...(profiles ? { profiles, profilesNote: 'learned here' } : {}) })
  }

  test("threads follow Little's law over sessions; the session rate is noted", () => {
    const { workload, notes } = synth([A, B])
    expect(workload.test.targetRps).toBe(30)
    // by hand: E = (4 + 2) / 2 = 3 requests; 30 / 3 = 10 sessions/s; a session lasts
    // 3 × 50 ms + (0.5 × 3 × 100 + 0.5 × 1 × 200) ms = 400 ms → 4 sessions in flight
    expect(workload.test.threads).toBe(4)
    expect(notes['test.sessionRate']).toContain('10.0000 sessions/s')
    expect(notes['test.sessionRate']).toContain('3.0000 expected requests per session')
    expect(notes.profiles).toBe('learned here')
    const yaml = renderWorkloadYaml(workload, notes)
    // the session-rate note follows the target rate's
    expect(yaml.indexOf('#   test.sessionRate:')).toBeGreaterThan(yaml.indexOf('#   test.targetRps:'))
    expect(yaml.indexOf('#   test.sessionRate:')).toBeLessThan(yaml.indexOf('#   test.headroom:'))
    expect(sessionMix([A, B], 50).durationMs).toBeCloseTo(400, 9)
  })

  test('without profiles the notes and threads are the request-level ones', () => {
    const { workload, notes } = synth()
    expect(workload.profiles).toBeUndefined()
    expect(notes['test.sessionRate']).toBeUndefined()
    expect(workload.test.threads).toBe(Math.ceil(30 * 0.05))
  })

  test('YAML with profiles: byte-stable, schema-valid, round-trips, and its JMX is what the parsed YAML renders', () => {
    const { workload, notes } = synth([A, B])
    const yaml = renderWorkloadYaml(workload, notes)
    expect(renderWorkloadYaml(structuredClone(workload), { ...notes })).toBe(yaml)
    const parsed = parseWorkloadYaml(yaml, 'workloads/demo-shop.yaml')
    expect(parsed).toEqual(workload)
    const check = checkWorkload({ file: 'workloads/demo-shop.yaml', text: yaml, jmxFile: 'workloads/demo-shop.jmx', committedJmx: renderJmx(workload), base: null, maxChangePercent: 50 })
    expect(check.problems).toEqual([])
    // a probability out of range is a schema problem on its line
    const broken = yaml.replace(/start: \[0\.0000, 1\.0000\]/, 'start: [0.0000, 1.5000]')
    expect(broken).not.toBe(yaml)
    const bad = checkWorkload({ file: 'workloads/demo-shop.yaml', text: broken, jmxFile: 'workloads/demo-shop.jmx', committedJmx: null, base: null, maxChangePercent: 50 })
    expect(bad.problems.map(p => p.field)).toContain('profiles[1].start[1]')
  })
})

describe('endpoint matching', () => {
  const endpoints = [
    { name: 'GET /products/{id}', method: 'GET', path: '/products/${__Random(1,500)}' },
    { name: 'GET /products/featured', method: 'GET', path: '/products/featured' },
    { name: 'GET /search', method: 'GET', path: '/search?q=${__RandomString(3,abc)}' },
    { name: 'POST /cart', method: 'POST', path: '/cart' },
    { name: 'GET /orders/{order}/items', method: 'GET', path: '/orders/{order}/items/' },
    { name: 'GET /old/42', method: 'GET', path: '/old/42' }
  ]

  test('method + path template, functions and placeholders match one segment, the most literal wins', () => {
    const match = endpointMatcher(endpoints, 'https://shop.example.com')
    expect(match('GET /products/{id}')).toBe('GET /products/{id}')
    expect(match('GET /products/shoes')).toBe('GET /products/{id}')
    expect(match('GET /products/featured')).toBe('GET /products/featured')
    expect(match('GET /search')).toBe('GET /search')
    expect(match('POST /cart')).toBe('POST /cart')
    expect(match('POST /cart/')).toBe('POST /cart')
    expect(match('GET /cart')).toBeUndefined()
    expect(match('GET /products/1/reviews')).toBeUndefined()
    expect(match('GET /orders/{id}/items')).toBe('GET /orders/{order}/items')
    // a literal number in the config is templated like the log's paths
    expect(match('GET /old/{id}')).toBe('GET /old/42')
  })

  test("the base URL's path prefix is optional in the log", () => {
    const match = endpointMatcher(endpoints, 'https://shop.example.com/api/')
    expect(match('POST /api/cart')).toBe('POST /cart')
    expect(match('POST /cart')).toBe('POST /cart')
  })

  test('unmatched requests are dropped and counted; empty sessions vanish', () => {
    const sessions: Session[] = [
      { events: [{ t: 1, endpoint: 'GET /products/{id}' }, { t: 2, endpoint: 'GET /style.css' }, { t: 3, endpoint: 'POST /cart' }] },
      { events: [{ t: 5, endpoint: 'GET /style.css' }, { t: 6, endpoint: 'GET /favicon.ico' }] }
    ]
    const out = mapSessions(sessions, endpoints, 'http://x')
    expect(out.sessions).toEqual([{ events: [{ t: 1, endpoint: 'GET /products/{id}' }, { t: 3, endpoint: 'POST /cart' }] }])
    expect(out.matched).toBe(2)
    expect(out.unmatched).toBe(3)
    expect(out.unmatchedTop[0]).toBe('GET /style.css (2)')
  })
})

describe('profiles learned from the real access log', () => {
  const endpoints = [
    { name: 'GET /', method: 'GET', path: '/' },
    { name: 'GET /blog/tags/{tag}', method: 'GET', path: '/blog/tags/${__RandomString(6,abcdef)}' },
    { name: 'GET /blog/geekery/{post}', method: 'GET', path: '/blog/geekery/{post}' },
    { name: 'GET /projects/xdotool', method: 'GET', path: '/projects/xdotool/' },
    { name: 'GET /articles/{article}', method: 'GET', path: '/articles/{article}/' },
    { name: 'GET /style2.css', method: 'GET', path: '/style2.css' },
    { name: 'GET /favicon.ico', method: 'GET', path: '/favicon.ico' },
    { name: 'GET /images/{file}', method: 'GET', path: '/images/{file}' }
  ]
  const service = (profiles: ServiceConfig['profiles']): ServiceConfig => ({
    ...CONFIG_DEFAULTS,
    name: 'semicomplete',
    target: { baseUrl: 'http://127.0.0.1:8080' },
    telemetry: { type: 'file', path: 'unused.csv' },
    endpoints,
    thinkTime: { meanMs: 500, stdDevMs: 100 },
    ...(profiles ? { profiles } : {})
  })

  test('valid distributions, capped, without IPs, user ids or e-mails', async () => {
    const log = memoryLogger()
    const learned = await learnServiceProfiles(service({ from: APACHE_LOG, maxProfiles: 3 }), repoRoot, log)
    expect(learned).toBeDefined()
    const profiles = (learned as NonNullable<typeof learned>).profiles
    expect(profiles.length).toBeGreaterThan(1)
    expect(profiles.length).toBeLessThanOrEqual(3)
    expect(profiles[profiles.length - 1].name).toBe('other')
    const units = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) * 10000)
    expect(units(profiles.map(p => p.share))).toBe(10000)
    const names = new Set(endpoints.map(e => e.name))
    for (const p of profiles) {
      expect(p.states.every(s => names.has(s))).toBe(true)
      expect(units(p.start)).toBe(10000)
      for (const row of p.transitions) {
        expect(row).toHaveLength(p.states.length)
        expect(row.every(x => x >= 0 && x <= 1)).toBe(true)
        expect(units(row)).toBeLessThanOrEqual(10000)
      }
      expect(Number.isFinite(expectedRequests(p))).toBe(true)
    }
    // no identifier of a visitor: none of the log's IPs, no e-mail, no user-agent text
    const ips = [...new Set(readFileSync(APACHE_LOG, 'utf8').split('\n').map(l => l.split(' ')[0]).filter(Boolean))]
    const w = { ...demoWorkload('http://127.0.0.1:8080', {}, endpoints.map((e, i) => ({ ...e, weight: i === 0 ? 1 : 0 }))), profiles }
    const yaml = renderWorkloadYaml(w, { profiles: learned?.note ?? '' })
    // what was learned: the profiles block and the note (the base URL above is ours, not the log's)
    const learnedText = `${yaml.slice(yaml.indexOf('\nprofiles:'))}\n${learned?.note}`
    expect(ips.length).toBeGreaterThan(1000)
    for (const ip of ips) expect(learnedText.includes(ip)).toBe(false)
    expect(learnedText).not.toMatch(/@|Mozilla|\b\d{1,3}(\.\d{1,3}){3}\b/)
    expect(parseWorkloadYaml(yaml, 'w.yaml')).toEqual(w)
    // the note counts the dropped requests, the same count an independent match gives
    const accessLog = await parseAccessLog(APACHE_LOG)
    const match = endpointMatcher(endpoints, 'http://127.0.0.1:8080')
    const unmatched = accessLog.events.filter(e => match(e.endpoint) === undefined).length
    expect(unmatched).toBeGreaterThan(0)
    expect(learned?.note).toContain(`${accessLog.events.length - unmatched} requests matched an endpoint, ${unmatched} did not`)
    expect(log.lines.some(l => l.includes('profile(s) learned from'))).toBe(true)
  })

  test('the cap merges the smallest clusters into "other": its start mixes theirs by share', () => {
    const sessions = [] as Session[]
    const next = rng(31)
    // three behaviours of different sizes, all on the same two states
    const make = (n: number, first: string, len: number) => {
      for (let i = 0; i < n; i++) {
        let t = 1_000_000 + i
        sessions.push({ events: Array.from({ length: len }, (_, k) => ({ t: (t += 1000 + Math.floor(next() * 50)), endpoint: k === 0 ? first : 'GET /b' })) })
      }
    }
    make(60, 'GET /a', 2)
    make(30, 'GET /b', 6)
    make(20, 'GET /a', 9)
    const full = learnProfiles(sessions, { minPts: 4 })
    const capped = learnProfiles(sessions, { minPts: 4, maxProfiles: 2 })
    expect(full.profiles.length).toBeGreaterThan(2)
    expect(capped.profiles.map(p => p.name)).toEqual(['profile-1', 'other'])
    expect(capped.profiles[0]).toEqual(full.profiles[0])
    const rest = full.profiles.slice(1)
    const restShare = rest.reduce((a, p) => a + p.share, 0)
    expect(capped.profiles[1].share).toBeCloseTo(restShare, 4)
    const startA = rest.reduce((a, p) => a + (p.share * p.start[p.states.indexOf('GET /a')] || 0), 0) / restShare
    expect(Math.abs(capped.profiles[1].start[capped.profiles[1].states.indexOf('GET /a')] - startA)).toBeLessThan(2e-4)
    expect(capped.merged + capped.noise).toBe(Math.round(restShare * sessions.length))
  })

  test('no matching request: an error when asked for explicitly, a warning when implied by accesslog telemetry', async () => {
    const none = { ...service({ from: APACHE_LOG }), endpoints: [{ name: 'POST /nothing', method: 'POST', path: '/nothing' }] }
    await expect(learnServiceProfiles(none, repoRoot)).rejects.toThrow(/no request matches an endpoint of semicomplete.*GET \/favicon\.ico/)
    const log = memoryLogger()
    const implied = { ...none, profiles: undefined, telemetry: { type: 'accesslog' as const, path: APACHE_LOG } }
    expect(await learnServiceProfiles(implied, repoRoot, log)).toBeUndefined()
    expect(log.lines.some(l => /no behaviour profiles/.test(l))).toBe(true)
    // maxProfiles 0 turns them off; other telemetry without `from` has none
    expect(await learnServiceProfiles({ ...implied, profiles: { maxProfiles: 0 } }, repoRoot)).toBeUndefined()
    expect(await learnServiceProfiles(service(undefined), repoRoot)).toBeUndefined()
  })

  test('peakcast.yaml: profiles validate, need an access log, and reject unknown keys', () => {
    const yaml = (profiles: string, telemetry = '{type: file, path: t.csv}') =>
      `version: 1\nservices:\n  - name: s\n    target: {baseUrl: "http://x"}\n    telemetry: ${telemetry}\n    endpoints:\n      - {name: a, method: GET, path: /a}\n    profiles: ${profiles}\n`
    expect(parseConfig(yaml('{from: logs/access.log, eps: 0.3, minPts: 5, maxProfiles: 4}'), 'p.yaml').services[0].profiles).toEqual({ from: 'logs/access.log', eps: 0.3, minPts: 5, maxProfiles: 4 })
    expect(parseConfig(yaml('{maxProfiles: 2}', '{type: accesslog, path: a.log}'), 'p.yaml').services[0].profiles).toEqual({ maxProfiles: 2 })
    expect(() => parseConfig(yaml('{maxProfiles: 2}'), 'p.yaml')).toThrow(/p\.yaml:8.*profiles need an access log/)
    expect(() => parseConfig(yaml('{from: a.log, colour: red}'), 'p.yaml')).toThrow(/colour/)
    expect(() => parseConfig(yaml('{from: a.log, maxProfiles: -1}'), 'p.yaml')).toThrow(/maxProfiles/)
  })
})

describe('forecast command with profiles', () => {
  test('writes a workload with profiles and a session plan that validates', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'peakcast-profiles-'))
    try {
      const config = [
        'version: 1',
        'services:',
        '  - name: semicomplete',
        '    target: {baseUrl: "http://127.0.0.1:8080"}',
        `    telemetry: {type: file, path: ${JSON.stringify(join(repoRoot, 'template-repo/telemetry/demo-api.csv'))}}`,
        '    model: seasonal-naive',
        `    profiles: {from: ${JSON.stringify(APACHE_LOG)}, maxProfiles: 3}`,
        '    endpoints:',
        '      - {name: "GET /", method: GET, path: /}',
        '      - {name: "GET /blog/tags/{tag}", method: GET, path: "/blog/tags/{tag}"}',
        '      - {name: "GET /favicon.ico", method: GET, path: /favicon.ico}',
        ''
      ].join('\n')
      writeFileSync(join(tmp, 'peakcast.yaml'), config)
      const log = memoryLogger()
      const result = await forecastCommand.run({ config: 'peakcast.yaml' }, { log, cwd: tmp, env: {}, now: Date.UTC(2020, 2, 30, 6) })
      expect(result.failure).toBeUndefined()
      const yaml = readFileSync(join(tmp, 'workloads/semicomplete.yaml'), 'utf8')
      const jmx = readFileSync(join(tmp, 'workloads/semicomplete.jmx'), 'utf8')
      const w = parseWorkloadYaml(yaml, 'workloads/semicomplete.yaml')
      expect(w.profiles?.length).toBeGreaterThan(0)
      expect(yaml).toMatch(/^#   test\.sessionRate: .* sessions\/s/m)
      expect(yaml).toMatch(/^#   profiles: \d profile\(s\) learned from \d+ sessions/m)
      expect(jmx).toBe(renderJmx(w))
      expect(jmx).toContain('testclass="WhileController" testname="session"')
      const check = checkWorkload({ file: 'workloads/semicomplete.yaml', text: yaml, jmxFile: 'workloads/semicomplete.jmx', committedJmx: jmx, base: null, maxChangePercent: 50 })
      expect(check.problems).toEqual([])
      // well-formed XML for an independent parser
      expect(execFileSync('python3', ['-c', 'import sys, xml.etree.ElementTree as ET; r = ET.fromstring(sys.stdin.read()); print(len(list(r.iter("TestAction"))))'], { input: jmx, encoding: 'utf8' }).trim()).toBe(String(w.profiles?.length))
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  }, 60_000)
})
