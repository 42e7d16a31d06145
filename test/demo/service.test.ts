import { spawn } from 'node:child_process'
import { Agent, request } from 'node:http'
import { resolve } from 'node:path'
import { failsAt, startDemoService, type DemoService } from '../../src/demo/service.js'

const repoRoot = resolve(import.meta.dirname, '../..')

async function call(base: string, method: string, path: string, body?: string, agent?: Agent): Promise<{ status: number; json: unknown; ms: number }> {
  const t0 = performance.now()
  return new Promise((res, rej) => {
    const req = request(`${base}${path}`, { method, agent, headers: body ? { 'content-type': 'application/json' } : {} }, r => {
      const chunks: Buffer[] = []
      r.on('data', c => chunks.push(c))
      r.on('end', () => res({ status: r.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()), ms: performance.now() - t0 }))
    })
    req.on('error', rej)
    req.end(body)
  })
}

describe('demo service', () => {
  let svc: DemoService | undefined
  afterEach(async () => {
    await svc?.stop()
    svc = undefined
  })

  test('serves the shop endpoints on loopback and counts requests per endpoint', async () => {
    svc = await startDemoService()
    expect(svc.url).toBe(`http://127.0.0.1:${svc.port}`)
    expect((await call(svc.url, 'GET', '/products/42')).json).toMatchObject({ id: '42' })
    expect((await call(svc.url, 'GET', '/search?q=shoes')).json).toMatchObject({ q: 'shoes' })
    expect((await call(svc.url, 'POST', '/cart', '{"sku":"A"}')).status).toBe(201)
    expect((await call(svc.url, 'POST', '/cart', 'not json')).status).toBe(400)
    expect((await call(svc.url, 'GET', '/checkout')).status).toBe(200)
    expect((await call(svc.url, 'GET', '/health')).json).toEqual({ status: 'up' })
    expect((await call(svc.url, 'GET', '/nope')).status).toBe(404)
    expect(svc.stats().requests).toEqual({ 'GET /products/{id}': 1, 'GET /search': 1, 'POST /cart': 2, 'GET /checkout': 1, 'GET /health': 1, other: 1 })
  })

  test('fails exactly errorRate of requests, deterministically, never /health', async () => {
    svc = await startDemoService({ errorRate: 0.2 })
    const statuses: number[] = []
    for (let i = 0; i < 50; i++) statuses.push((await call(svc.url, 'GET', '/checkout')).status)
    expect(statuses.filter(s => s === 500).length).toBe(Math.floor(50 * 0.2))
    const health: number[] = []
    for (let i = 0; i < 10; i++) health.push((await call(svc.url, 'GET', '/health')).status)
    expect(health.every(s => s === 200)).toBe(true)
    // same seed, same failing positions
    const again = await startDemoService({ errorRate: 0.2 })
    const statuses2: number[] = []
    for (let i = 0; i < 50; i++) statuses2.push((await call(again.url, 'GET', '/checkout')).status)
    await again.stop()
    expect(statuses2).toEqual(statuses)
  })

  test('failsAt spreads failures evenly', () => {
    const fails = Array.from({ length: 1000 }, (_, n) => failsAt(n, 0.03))
    expect(fails.filter(Boolean).length).toBe(30)
    // every window of 100 consecutive requests holds 3 failures (±1)
    for (let s = 0; s + 100 <= 1000; s += 50) {
      const k = fails.slice(s, s + 100).filter(Boolean).length
      expect(Math.abs(k - 3)).toBeLessThanOrEqual(1)
    }
    expect(failsAt(0, 0)).toBe(false)
    expect(failsAt(0, 1)).toBe(true)
  })

  test('latency grows with requests in flight, plus injected latency', async () => {
    svc = await startDemoService({ perInFlightMs: 3 })
    const alone = (await call(svc.url, 'GET', '/checkout')).ms
    const agent = new Agent({ keepAlive: true, maxSockets: 100 })
    const url = svc.url
    const together = await Promise.all(Array.from({ length: 40 }, () => call(url, 'GET', '/checkout', undefined, agent)))
    agent.destroy()
    // the last of 40 concurrent requests waits base + 3 ms × 39 others ≥ 117 ms
    expect(alone).toBeLessThan(60)
    expect(Math.max(...together.map(r => r.ms))).toBeGreaterThanOrEqual(100)
    await svc.stop()
    svc = await startDemoService({ injectLatencyMs: 120 })
    expect((await call(svc.url, 'GET', '/health')).ms).toBeGreaterThanOrEqual(115)
  })

  test('stop() returns even while a client holds a keep-alive connection', async () => {
    svc = await startDemoService()
    const agent = new Agent({ keepAlive: true })
    await call(svc.url, 'GET', '/health', undefined, agent)
    const s = svc
    svc = undefined
    await expect(Promise.race([s.stop().then(() => 'stopped'), new Promise(r => setTimeout(() => r('hung'), 3000).unref())])).resolves.toBe('stopped')
    agent.destroy()
  })

  test('runs standalone: tsx src/demo/service.ts --port 0', async () => {
    const child = spawn(resolve(repoRoot, 'node_modules/.bin/tsx'), ['src/demo/service.ts', '--port', '0'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    const url = await new Promise<string>((res, rej) => {
      let out = ''
      child.stdout.on('data', d => {
        out += d
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
        if (m) res(m[1])
      })
      child.once('exit', code => rej(new Error(`exited ${code}`)))
      setTimeout(() => rej(new Error('no listening line within 20 s')), 20_000).unref()
    })
    expect((await call(url, 'GET', '/health')).status).toBe(200)
    const exit = new Promise<number | null>(res => child.once('exit', code => res(code)))
    child.kill('SIGTERM')
    expect(await exit).toBe(0)
  }, 30_000)
})
