import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * A small shop API to load-test against: the demo, the docs and the real JMeter tests use it.
 * Latency grows with concurrency (base + perInFlightMs × requests in flight + injectLatencyMs),
 * so a heavier workload shows up in p95 the way a real service's would. Errors are
 * deterministic: exactly errorRate of the requests to each endpoint answer 500, spread evenly.
 */
export interface DemoServiceOptions {
  /** 0 = any free port */
  port?: number
  host?: string
  injectLatencyMs?: number
  /** share of requests answered with 500, 0..1 (health checks never fail) */
  errorRate?: number
  /** shifts which requests fail, so two services with different seeds fail different requests */
  seed?: number
  /** extra latency per request already in flight, ms */
  perInFlightMs?: number
}

export interface DemoService {
  url: string
  port: number
  stop(): Promise<void>
  stats(): { requests: Record<string, number> }
}

interface Route {
  name: string
  method: string
  match: (path: string) => boolean
  baseMs: number
  handle: (url: URL, body: string) => { status: number; json: unknown }
}

const ROUTES: Route[] = [
  {
    name: 'GET /products/{id}',
    method: 'GET',
    match: p => /^\/products\/[^/]+$/.test(p),
    baseMs: 3,
    handle: url => {
      const id = decodeURIComponent(url.pathname.split('/')[2])
      return { status: 200, json: { id, name: `product ${id}`, priceCents: 100 + (hash(id) % 9900) } }
    }
  },
  {
    name: 'GET /search',
    method: 'GET',
    match: p => p === '/search',
    baseMs: 6,
    handle: url => {
      const q = url.searchParams.get('q') ?? ''
      return { status: 200, json: { q, results: [1, 2, 3].map(i => ({ id: String((hash(q) + i) % 500), rank: i })) } }
    }
  },
  {
    name: 'POST /cart',
    method: 'POST',
    match: p => p === '/cart',
    baseMs: 4,
    handle: (_url, body) => {
      try {
        return { status: 201, json: { cart: JSON.parse(body || '{}'), items: 1 } }
      } catch {
        return { status: 400, json: { error: 'body must be JSON' } }
      }
    }
  },
  {
    name: 'GET /checkout',
    method: 'GET',
    match: p => p === '/checkout',
    baseMs: 8,
    handle: () => ({ status: 200, json: { status: 'ok' } })
  },
  {
    name: 'GET /health',
    method: 'GET',
    match: p => p === '/health',
    baseMs: 0,
    handle: () => ({ status: 200, json: { status: 'up' } })
  }
]

export async function startDemoService(opts: DemoServiceOptions = {}): Promise<DemoService> {
  const errorRate = opts.errorRate ?? 0
  if (!(errorRate >= 0 && errorRate <= 1)) throw new RangeError(`errorRate must be within 0..1, got ${errorRate}`)
  const inject = opts.injectLatencyMs ?? 0
  const perInFlight = opts.perInFlightMs ?? 0.5
  const seed = opts.seed ?? 0
  const requests: Record<string, number> = {}
  let inFlight = 0

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      inFlight += 1
      const { route, status, json } = answer(req, Buffer.concat(chunks).toString('utf8'))
      const n = (requests[route?.name ?? 'other'] = (requests[route?.name ?? 'other'] ?? 0) + 1)
      const fail = route !== undefined && route.name !== 'GET /health' && failsAt(n - 1 + seed, errorRate)
      const delay = (route?.baseMs ?? 0) + perInFlight * (inFlight - 1) + inject
      setTimeout(() => {
        inFlight -= 1
        send(res, fail ? 500 : status, fail ? { error: 'injected failure' } : json)
      }, delay)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve())
  })
  const { port, address } = server.address() as AddressInfo
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    port,
    stats: () => ({ requests: { ...requests } }),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close(err => (err ? reject(err) : resolve()))
        // Load generators keep connections alive; without this close() waits for them.
        server.closeAllConnections()
      })
  }
}

function answer(req: IncomingMessage, body: string): { route?: Route; status: number; json: unknown } {
  const url = new URL(req.url ?? '/', 'http://demo')
  const route = ROUTES.find(r => r.method === req.method && r.match(url.pathname))
  if (!route) return { status: 404, json: { error: `no route for ${req.method} ${url.pathname}` } }
  return { route, ...route.handle(url, body) }
}

/** Request n fails when the running count of failures floor((n+1)·rate) steps up: exact and even. */
export function failsAt(n: number, rate: number): boolean {
  return Math.floor((n + 1) * rate) > Math.floor(n * rate)
}

function send(res: ServerResponse, status: number, json: unknown): void {
  const body = JSON.stringify(json)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function hash(s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0
  return h
}

function parseCli(argv: string[]): DemoServiceOptions {
  const opts: DemoServiceOptions = { port: 8080 }
  const keys: Record<string, keyof DemoServiceOptions> = {
    '--port': 'port',
    '--inject-latency-ms': 'injectLatencyMs',
    '--error-rate': 'errorRate',
    '--seed': 'seed',
    '--per-in-flight-ms': 'perInFlightMs'
  }
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]
    const value = argv[i + 1]
    if (flag === '--host' && value) opts.host = value
    else if (keys[flag] && value !== undefined && Number.isFinite(Number(value))) (opts as Record<string, number>)[keys[flag]] = Number(value)
    else throw new Error(`usage: tsx src/demo/service.ts [--port N] [--host H] [--inject-latency-ms N] [--error-rate R] [--seed N] [--per-in-flight-ms N]; bad argument ${flag}`)
  }
  return opts
}

// Run as a program only when this very file is the entry (not when bundled into another entry).
const self = fileURLToPath(import.meta.url)
if (process.argv[1] && basename(self).startsWith('service.') && process.argv[1].replace(/\.(ts|js)$/, '') === self.replace(/\.(ts|js)$/, '')) {
  const svc = await startDemoService(parseCli(process.argv.slice(2)))
  console.log(`demo service listening on ${svc.url} (GET /products/{id}, GET /search?q=, POST /cart, GET /checkout, GET /health)`)
  const shutdown = () => void svc.stop().then(() => process.exit(0))
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}
