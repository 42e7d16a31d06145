import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAccessLog } from '../../src/telemetry/accesslog.js'
import { sessionize, type Session } from '../../src/telemetry/sessions.js'
import { dbscan, learnProfiles, scrub } from '../../src/workload/profiles.js'
import type { BehaviourProfile } from '../../src/workload/workload.js'
import { parseWorkloadYaml, renderWorkloadYaml } from '../../src/workload/workload-yaml.js'
import type { Workload } from '../../src/workload/workload.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const data = (p: string) => resolve(repoRoot, '../shared/data', p)

/** Park–Miller: a tiny seeded generator so the test data is the same on every run. */
function rng(seed: number): () => number {
  let s = seed
  return () => (s = (s * 48271) % 2147483647) / 2147483647
}

/** Textbook DBSCAN (Ester et al. 1996), written from the definition, for comparison. */
function referenceDbscan(points: number[][], eps: number, minPts: number): { core: boolean[]; label: number[] } {
  const n = points.length
  const d = (a: number[], b: number[]) => Math.hypot(...a.map((x, i) => x - b[i]))
  const neighbours = points.map(p => points.map((q, j) => (d(p, q) < eps ? j : -1)).filter(j => j >= 0))
  const core = neighbours.map(ns => ns.length >= minPts)
  const label = new Array<number>(n).fill(-1)
  let c = 0
  for (let i = 0; i < n; i++) {
    if (!core[i] || label[i] >= 0) continue
    const stack = [i]
    label[i] = c
    while (stack.length) {
      const p = stack.pop() as number
      if (!core[p]) continue
      for (const q of neighbours[p]) {
        if (label[q] < 0) {
          label[q] = c
          stack.push(q)
        }
      }
    }
    c++
  }
  return { core, label }
}

function matrix(points: number[][]): Float64Array {
  const n = points.length
  const m = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = Math.hypot(...points[i].map((x, k) => x - points[j][k]))
  return m
}

function labelsOf(n: number, clusters: number[][]): number[] {
  const label = new Array<number>(n).fill(-1)
  clusters.forEach((members, c) => members.forEach(i => (label[i] = c)))
  return label
}

/** every row of a Markov chain is a (sub-)distribution, start is a distribution, on 4 decimals */
function profileViolations(p: BehaviourProfile): string[] {
  const bad: string[] = []
  const units = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) * 10000)
  const onGrid = (x: number) => Math.abs(x * 10000 - Math.round(x * 10000)) < 1e-6
  if (p.start.length !== p.states.length || units(p.start) !== 10000) bad.push(`${p.name}: start`)
  if (p.transitions.length !== p.states.length) bad.push(`${p.name}: rows`)
  p.transitions.forEach((row, i) => {
    if (row.length !== p.states.length || units(row) > 10000 || row.some(x => x < 0 || !onGrid(x))) bad.push(`${p.name}: row ${i}`)
  })
  if ([...p.states].sort().join('\n') !== p.states.join('\n')) bad.push(`${p.name}: states not sorted`)
  return bad
}

function expectValidProfiles(profiles: BehaviourProfile[]): void {
  expect(profiles.length).toBeGreaterThan(0)
  expect(profiles.flatMap(profileViolations)).toEqual([])
  expect(Math.round(profiles.reduce((a, p) => a + p.share, 0) * 10000)).toBe(10000)
}

describe('DBSCAN (density-clustering) against a reference', () => {
  it('finds the two blobs of a hand-checked dataset and leaves the outlier out', () => {
    const points = [
      [0, 0], [0, 1], [1, 0], [1, 1], // blob A
      [10, 10], [10, 11], [11, 10], [11, 11], // blob B
      [5, 5] // outlier
    ]
    const clusters = dbscan(points.length, matrix(points), 1.5, 3)
    const sets = clusters.map(c => [...c].sort((a, b) => a - b))
    expect(sets).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]])
  })

  it('agrees with a textbook implementation on core points and noise for random data', () => {
    const next = rng(7)
    for (let trial = 0; trial < 25; trial++) {
      const n = 30 + Math.floor(next() * 50)
      const points = Array.from({ length: n }, () => {
        const blob = Math.floor(next() * 3)
        return [blob * 4 + next() * 2.5, (blob % 2) * 3 + next() * 2.5]
      })
      const eps = 0.5 + next()
      const minPts = 2 + Math.floor(next() * 4)
      const ours = labelsOf(n, dbscan(n, matrix(points), eps, minPts))
      const ref = referenceDbscan(points, eps, minPts)
      // noise is the same set; core points are partitioned the same way (border points may
      // legitimately go to either of two touching clusters, depending on visit order)
      expect(ours.map(l => l < 0)).toEqual(ref.label.map(l => l < 0))
      const disagreements: string[] = []
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (ref.core[i] && ref.core[j] && (ours[i] === ours[j]) !== (ref.label[i] === ref.label[j])) disagreements.push(`${i},${j}`)
        }
      }
      expect(disagreements).toEqual([])
    }
  })
})

describe('learnProfiles', () => {
  const at = (steps: [string, number][]): Session => {
    let t = 1_000_000
    return { events: steps.map(([endpoint, gap]) => ({ t: (t += gap), endpoint })) }
  }
  /** 60 browsers (home → 3 products) with ~2 s pauses, 40 buyers (cart → checkout) with ~10 s pauses */
  function mix(): Session[] {
    const next = rng(11)
    const out: Session[] = []
    for (let i = 0; i < 60; i++) {
      const n = 3
      out.push(at([['GET /home', 0], ...Array.from({ length: n }, () => ['GET /product', 1500 + Math.floor(next() * 1000)] as [string, number])]))
    }
    for (let i = 0; i < 40; i++) out.push(at([['POST /cart', 0], ['POST /checkout', 9000 + Math.floor(next() * 2000)]]))
    return out
  }

  it('separates two behaviours and fits each Markov chain', () => {
    const { profiles, noise } = learnProfiles(mix())
    expect(noise).toBe(0)
    expect(profiles.map(p => [p.name, p.share, p.states])).toEqual([
      ['profile-1', 0.6, ['GET /home', 'GET /product']],
      ['profile-2', 0.4, ['POST /cart', 'POST /checkout']]
    ])
    expectValidProfiles(profiles)
    const buyers = profiles[1]
    expect(buyers.start).toEqual([1, 0])
    expect(buyers.transitions).toEqual([[0, 1], [0, 0]])
    expect(buyers.thinkTime.meanMs).toBeGreaterThan(9000)
    expect(buyers.thinkTime.meanMs).toBeLessThan(11000)
  })

  it('with one cluster, the chain equals transition counts computed independently', () => {
    const sessions = mix().slice(0, 60)
    const { profiles } = learnProfiles(sessions, { eps: 100, minPts: 1 })
    expect(profiles).toHaveLength(1)
    const [p] = profiles
    let homeToProduct = 0
    let productToProduct = 0
    let productExits = 0
    const gaps: number[] = []
    for (const s of sessions) {
      const e = s.events
      for (let i = 0; i + 1 < e.length; i++) {
        if (e[i].endpoint === 'GET /home') homeToProduct++
        else productToProduct++
        gaps.push(e[i + 1].t - e[i].t)
      }
      productExits++
    }
    const productVisits = productToProduct + productExits
    expect(p.transitions[0]).toEqual([0, 1])
    expect(p.transitions[1][0]).toBe(0)
    expect(Math.abs(p.transitions[1][1] - productToProduct / productVisits)).toBeLessThanOrEqual(0.00005)
    expect(homeToProduct).toBe(60)
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length
    const std = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length)
    expect(p.thinkTime).toEqual({ distribution: 'gaussian', meanMs: Math.round(mean), stdDevMs: Math.round(std) })
  })

  it('does not depend on session order', () => {
    const sessions = mix()
    const shuffled = [...sessions].reverse()
    const next = rng(3)
    shuffled.sort(() => next() - 0.5)
    expect(JSON.stringify(learnProfiles(shuffled))).toBe(JSON.stringify(learnProfiles(sessions)))
  })

  it('scrubs e-mail addresses, IPs and UUIDs out of endpoint names', () => {
    expect(scrub('GET /users/ann@example.com/orders/123e4567-e89b-12d3-a456-426614174000?ip=10.1.2.3')).toBe(
      'GET /users/{email}/orders/{id}?ip={ip}'
    )
  })
})

describe('profiles from real sessions', () => {
  it('elastic apache logs: valid chains, no personal data, survive the workload YAML', async () => {
    const log = await parseAccessLog(data('elastic-apache-logs/apache_logs'))
    // a service's endpoints are coarser than URLs: first path segment, page or asset
    const coarse = (endpoint: string) => {
      const [method, path] = endpoint.split(' ')
      const seg = (path.split('/')[1] ?? '').split('?')[0]
      return `${method} /${seg} ${/\.(png|jpe?g|gif|css|js|ico|svg)$/i.test(path) ? 'asset' : 'page'}`
    }
    const sessions = sessionize(log.events.map(e => ({ ...e, endpoint: coarse(e.endpoint) })))
    expect(sessions.length).toBeGreaterThan(1000)
    const result = learnProfiles(sessions)
    expectValidProfiles(result.profiles)
    expect(result.profiles.length).toBeGreaterThan(1)
    expect(result.noise).toBeLessThan(result.sessions / 2)
    const json = JSON.stringify(result.profiles)
    expect(json).not.toMatch(/\b\d{1,3}(\.\d{1,3}){3}\b/)
    expect(json).not.toMatch(/@/)
    expect(json).not.toMatch(/Mozilla/)
    // timed sessions: every multi-request profile has a measured think time within the cap
    for (const p of result.profiles) expect(p.thinkTime.meanMs).toBeLessThanOrEqual(60_000)

    const workload: Workload = {
      apiVersion: 'peakcast/v1',
      kind: 'Workload',
      service: 'semicomplete',
      target: { baseUrl: 'http://127.0.0.1' },
      forecast: { model: 'm', window: { from: 'a', to: 'b' }, peak: { day: '2015-05-21', hour: '14:00Z', rps: { p10: 1, p50: 1, p90: 1 } }, lastWeekPeakRps: 1 },
      test: { targetRps: 1, headroom: 1, duration: 60, rampUp: 10, threads: 1, latencyMs: 1, thinkTime: { distribution: 'constant', meanMs: 0, stdDevMs: 0 } },
      endpoints: [{ name: 'GET /', method: 'GET', path: '/', weight: 1 }],
      profiles: result.profiles
    }
    const text = renderWorkloadYaml(workload, {})
    expect(parseWorkloadYaml(text, 'w.yaml')).toEqual(workload)
  })

  it('msnbc click sequences (order only): valid chains with the fallback think time', () => {
    const zip = data('msnbc-web-sequences/msnbc990928.zip')
    expect(existsSync(zip)).toBe(true)
    const text = execFileSync('unzip', ['-p', zip, 'msnbc990928.seq'], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8')
    const lines = text.split('\n')
    const names = lines[2].trim().split(/\s+/)
    expect(names).toHaveLength(17)
    const body = lines.slice(7).filter(l => l.trim())
    expect(body.length).toBe(989818)
    // every 200th session: a spread-out sample of the day
    const sample = body.filter((_, i) => i % 200 === 0)
    const sessions: Session[] = sample.map(l => ({
      events: l.trim().split(/\s+/).map((id, k) => ({ t: k, endpoint: names[Number(id) - 1] }))
    }))
    const fallback = { distribution: 'gaussian' as const, meanMs: 3000, stdDevMs: 1000 }
    const result = learnProfiles(sessions, { timed: false, fallbackThinkTime: fallback })
    expectValidProfiles(result.profiles)
    expect(result.sessions).toBe(sessions.length)
    for (const p of result.profiles) {
      expect(p.thinkTime).toEqual(fallback)
      for (const s of p.states) expect(names).toContain(s)
    }
    // the biggest profile's start distribution matches the sessions it came from: its top start state is a real start
    const starts = new Set(sessions.map(s => s.events[0].endpoint))
    const top = result.profiles[0]
    expect(starts.has(top.states[top.start.indexOf(Math.max(...top.start))])).toBe(true)
  })
})
