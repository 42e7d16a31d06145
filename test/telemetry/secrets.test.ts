/**
 * Keys and tokens planted in the environment never show up in logs, returned values, error
 * messages or written files, even when a server echoes them back; and every connector registers
 * them with the logger (so the action masks them in the runner's log too).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportTelemetryCommand } from '../../src/commands/export-telemetry.js'
import { fetchNewRelic } from '../../src/telemetry/newrelic.js'
import { fetchPrometheus } from '../../src/telemetry/prometheus.js'
import type { SourceContext } from '../../src/telemetry/series.js'
import { fetchSplunk } from '../../src/telemetry/splunk.js'
import type { Logger } from '../../src/util/log.js'
import { DATA_START, hourlyData, WEEK } from '../fixtures/connectors/hourly-data.js'
import { FAKE_ACCOUNT, startFakeNerdGraph, type FakeNerdGraph } from '../helpers/fake-nerdgraph.js'
import { startFakeSplunk, type FakeSplunk } from '../helpers/fake-splunk.js'

const NR_KEY = 'NRAK-PLANTED0SECRET0NR0KEY01234'
const SPLUNK_TOKEN = 'splunk-planted-secret-token-5678'
const PROM_TOKEN = 'prom-planted-secret-bearer-9012'
const PROM_USER = 'prom-planted-user'
const PROM_PASSWORD = 'prom-planted-password-3456'
const PROM_BASIC = Buffer.from(`${PROM_USER}:${PROM_PASSWORD}`).toString('base64')
const SECRETS = [NR_KEY, SPLUNK_TOKEN, PROM_TOKEN, PROM_PASSWORD, PROM_BASIC]

const APP = 'checkout-api'
const data = hourlyData({ weeks: 2, endpoints: ['GET /a', 'POST /b'], seed: 3 })
const WINDOW = { from: DATA_START, to: DATA_START + 2 * WEEK }

/** Keeps every line and every value registered as secret. */
function recordingLogger(): Logger & { lines: string[]; secrets: string[] } {
  const lines: string[] = []
  const secrets: string[] = []
  return {
    lines,
    secrets,
    info: m => lines.push(m),
    warn: m => lines.push(`warning: ${m}`),
    step: t => {
      lines.push(t)
      return () => undefined
    },
    secret: v => secrets.push(v)
  }
}

function expectNoSecret(...things: unknown[]) {
  const text = things.map(t => (t instanceof Error ? `${t.message} ${t.stack} ${(t as { hint?: string }).hint}` : JSON.stringify(t))).join('\n')
  for (const s of SECRETS) expect(text).not.toContain(s)
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap(name => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? filesUnder(p) : [p]
  })
}

async function caught(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(Error)
  return err as Error
}

const env = { NEW_RELIC_API_KEY: NR_KEY, SPLUNK_TOKEN, PROM_TOKEN, PROM_USER, PROM_PASSWORD, PEAKCAST_HTTP_BACKOFF_MS: '1', PEAKCAST_HTTP_RETRIES: '1' }

let tmp: string
let nerdgraph: FakeNerdGraph
let splunk: FakeSplunk
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'peakcast-secrets-'))
  nerdgraph = await startFakeNerdGraph({ apiKey: NR_KEY, appName: APP, data })
  splunk = await startFakeSplunk({ token: SPLUNK_TOKEN, index: 'main', service: APP, data })
})
afterAll(async () => {
  await nerdgraph.close()
  await splunk.close()
  rmSync(tmp, { recursive: true, force: true })
})

function ctx(log: Logger): SourceContext {
  return { service: APP, baseDir: tmp, env: { ...env, PEAKCAST_NERDGRAPH_URL: nerdgraph.url }, log, window: WINDOW }
}

/** A Prometheus stand-in that echoes the Authorization header back in every answer. */
async function echoingPrometheus(status: number) {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const body =
        status === 200
          ? { status: 'success', data: { resultType: 'matrix', result: [{ metric: { endpoint: 'GET /a' }, values: [[WINDOW.from / 1000 + 3600, '5']] }] }, warnings: [`seen ${req.headers.authorization}`] }
          : { status: 'error', errorType: 'bad_data', error: `rejected ${req.headers.authorization}` }
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
    })
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>(r => server.close(() => r())) }
}

describe('New Relic', () => {
  const cfg = { type: 'newrelic' as const, accountId: FAKE_ACCOUNT, appName: APP }

  test('success: the key is registered and nowhere in logs or points', async () => {
    const log = recordingLogger()
    const points = await fetchNewRelic(cfg, ctx(log))
    expect(points.length).toBeGreaterThan(0)
    expect(log.secrets).toContain(NR_KEY)
    expectNoSecret(log.lines, points)
  })

  test('errors that echo the key (GraphQL errors, HTTP bodies) are redacted', async () => {
    const log = recordingLogger()
    nerdgraph.errorNext(`API key ${NR_KEY} cannot query account ${FAKE_ACCOUNT}`, 'FORBIDDEN')
    const graph = await caught(fetchNewRelic(cfg, ctx(log)))
    expect(graph.message).toContain('API key *** cannot query')
    nerdgraph.failNext(500, 2, JSON.stringify({ error: `internal error for key ${NR_KEY}` }))
    const http = await caught(fetchNewRelic(cfg, ctx(log)))
    expect(http.message).toContain('internal error for key ***')
    expectNoSecret(graph, http, log.lines)
  })
})

describe('Prometheus', () => {
  test.each([
    ['bearer', { type: 'bearer' as const, tokenEnv: 'PROM_TOKEN' }, PROM_TOKEN],
    ['basic', { type: 'basic' as const, userEnv: 'PROM_USER', passwordEnv: 'PROM_PASSWORD' }, PROM_BASIC]
  ])('%s: registered, and redacted where the server echoes it', async (_name, auth, credential) => {
    const ok = await echoingPrometheus(200)
    const bad = await echoingPrometheus(400)
    try {
      const log = recordingLogger()
      const points = await fetchPrometheus({ type: 'prometheus', url: ok.url, auth }, ctx(log))
      expect(points).toHaveLength(1)
      expect(log.secrets).toContain(credential)
      expect(log.lines.some(l => /Prometheus warns: seen (Bearer|Basic) \*\*\*/.test(l))).toBe(true)
      const err = await caught(fetchPrometheus({ type: 'prometheus', url: bad.url, auth }, ctx(log)))
      expect(err.message).toMatch(/rejected (Bearer|Basic) \*\*\*/)
      expectNoSecret(points, log.lines, err)
    } finally {
      await ok.close()
      await bad.close()
    }
  })
})

describe('Splunk', () => {
  const cfg = { type: 'splunk' as const, url: '' }

  test('success, a FATAL message and an HTTP error that echo the token', async () => {
    const log = recordingLogger()
    const points = await fetchSplunk({ ...cfg, url: splunk.url }, ctx(log))
    expect(points.length).toBeGreaterThan(0)
    expect(log.secrets).toContain(SPLUNK_TOKEN)
    splunk.messageNext('FATAL', `token ${SPLUNK_TOKEN} has expired`)
    const fatal = await caught(fetchSplunk({ ...cfg, url: splunk.url }, ctx(log)))
    expect(fatal.message).toContain('token *** has expired')
    splunk.failNext(403, JSON.stringify({ messages: [{ type: 'ERROR', text: `token ${SPLUNK_TOKEN} lacks the search capability` }] }))
    const http = await caught(fetchSplunk({ ...cfg, url: splunk.url }, ctx(log)))
    expect(http.message).toContain('authentication failed, HTTP 403')
    expectNoSecret(points, log.lines, fatal, http)
  })
})

describe('export-telemetry', () => {
  const config = (telemetry: string) =>
    [
      'version: 1',
      'services:',
      `  - name: ${APP}`,
      '    target: {baseUrl: "https://shop.example.com"}',
      `    telemetry: ${telemetry}`,
      '    endpoints: [{name: "GET /a", method: GET, path: /a}]',
      '    historyWeeks: 2',
      ''
    ].join('\n')

  test.each([
    ['newrelic', `{type: newrelic, accountId: ${FAKE_ACCOUNT}, appName: ${APP}}`],
    ['splunk', '{type: splunk, url: "SPLUNK_URL"}']
  ])('%s: not in the log, the outcome, the CSV, nor the error of a failed run', async (name, telemetry) => {
    const dir = mkdtempSync(join(tmp, `${name}-`))
    const path = join(dir, 'peakcast.yaml')
    writeFileSync(path, config(telemetry.replace('SPLUNK_URL', splunk.url)))
    const log = recordingLogger()
    const run = () =>
      exportTelemetryCommand.run({ config: path }, { cwd: dir, env: { ...env, PEAKCAST_NERDGRAPH_URL: nerdgraph.url }, log, now: DATA_START + 2 * WEEK })
    const outcome = await run()
    expect(readFileSync(outcome.outputs!.path, 'utf8')).toMatch(/^timestamp,endpoint,requests/)

    if (name === 'newrelic') nerdgraph.errorNext(`bad key ${NR_KEY}`)
    else splunk.messageNext('FATAL', `bad token ${SPLUNK_TOKEN}`)
    const err = await caught(run())
    expect(err.message).toContain('***')

    expect(log.secrets.length).toBeGreaterThan(0)
    expectNoSecret(log.lines, outcome, err)
    const written = filesUnder(dir).map(f => readFileSync(f, 'utf8'))
    expect(written.length).toBeGreaterThanOrEqual(2) // the config and the CSV
    expectNoSecret(written)
  })
})
