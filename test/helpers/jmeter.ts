import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import type { EndpointLoad, Workload } from '../../src/workload/workload.js'

export const repoRoot = resolve(import.meta.dirname, '../..')

/**
 * JMeter 5.6.3 for tests: JMETER_HOME if set, else scripts/install-jmeter.sh (idempotent, a
 * first run takes about a minute to assemble from Maven Central) and the path it prints.
 */
export function ensureJmeter(): string {
  if (process.env.JMETER_HOME) return process.env.JMETER_HOME
  const out = execFileSync('bash', [resolve(repoRoot, 'scripts/install-jmeter.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 10 * 60_000
  })
  return out.trim().split('\n').pop() as string
}

/** The demo shop's four business endpoints, with the weights the real-run test checks. */
export const DEMO_ENDPOINTS: EndpointLoad[] = [
  { name: 'GET /products/{id}', method: 'GET', path: '/products/${__Random(1,500)}', weight: 0.5 },
  { name: 'GET /search', method: 'GET', path: '/search?q=shoes', weight: 0.25 },
  { name: 'POST /cart', method: 'POST', path: '/cart', weight: 0.15, body: '{"sku":"A-1","qty":2}' },
  { name: 'GET /checkout', method: 'GET', path: '/checkout', weight: 0.1 }
]

export function demoWorkload(baseUrl: string, test: Partial<Workload['test']> = {}, endpoints = DEMO_ENDPOINTS): Workload {
  return {
    apiVersion: 'peakcast/v1',
    kind: 'Workload',
    service: 'demo-shop',
    target: { baseUrl },
    forecast: {
      model: 'test',
      window: { from: '2026-01-01T00:00Z', to: '2026-01-29T00:00Z' },
      peak: { day: '2026-02-03', hour: '14:00Z', rps: { p10: 30, p50: 33, p90: 36 } },
      lastWeekPeakRps: 31
    },
    test: {
      targetRps: 40,
      headroom: 1.1,
      duration: 15,
      rampUp: 2,
      threads: 4,
      latencyMs: 10,
      thinkTime: { distribution: 'gaussian', meanMs: 90, stdDevMs: 30 },
      ...test
    },
    endpoints
  }
}
