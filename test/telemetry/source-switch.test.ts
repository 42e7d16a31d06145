/**
 * Switching a service from a telemetry file to New Relic changes only the `telemetry:` block of
 * peakcast.yaml: the same traffic gives the same Series, the same exported CSV bytes and the
 * same forecast.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportTelemetryCommand } from '../../src/commands/export-telemetry.js'
import { loadConfig } from '../../src/config/load-config.js'
import { SeasonalBaseline } from '../../src/forecast/baseline.js'
import type { Series } from '../../src/telemetry/series.js'
import { loadTelemetry } from '../../src/telemetry/source.js'
import { memoryLogger } from '../../src/util/log.js'
import { DATA_START, hourlyData, hoursToCsv, WEEK } from '../fixtures/connectors/hourly-data.js'
import { FAKE_ACCOUNT, startFakeNerdGraph, type FakeNerdGraph } from '../helpers/fake-nerdgraph.js'

const KEY = 'NRAK-SWITCH000000000000000000000'
const APP = 'checkout-api'
const ENDPOINTS = ['GET /products/{id}', 'POST /cart', 'GET /search']
const data = hourlyData({ weeks: 4, endpoints: ENDPOINTS, seed: 23 })
const NOW = DATA_START + 4 * WEEK + 30 * 60_000

const FILE_BLOCK = '    telemetry: {type: file, path: telemetry/checkout.csv}'
const NEWRELIC_BLOCK = `    telemetry: {type: newrelic, accountId: ${FAKE_ACCOUNT}, appName: ${APP}}`

function peakcastYaml(telemetry: string): string {
  return [
    'version: 1',
    'services:',
    '  - name: checkout-api',
    '    target: {baseUrl: "https://shop.example.com"}',
    telemetry,
    '    endpoints:',
    '      - {name: "GET /products/{id}", method: GET, path: "/products/1"}',
    '      - {name: "POST /cart", method: POST, path: /cart}',
    '      - {name: "GET /search", method: GET, path: /search}',
    '    historyWeeks: 4',
    ''
  ].join('\n')
}

let tmp: string
let fake: FakeNerdGraph
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'peakcast-switch-'))
  writeFileSync(join(tmp, 'file.yaml'), peakcastYaml(FILE_BLOCK))
  writeFileSync(join(tmp, 'newrelic.yaml'), peakcastYaml(NEWRELIC_BLOCK))
  // the file source resolves its path against the config's directory
  mkdirSync(join(tmp, 'telemetry'))
  writeFileSync(join(tmp, 'telemetry/checkout.csv'), hoursToCsv(data))
  fake = await startFakeNerdGraph({ apiKey: KEY, appName: APP, data })
})
afterAll(async () => {
  await fake.close()
  rmSync(tmp, { recursive: true, force: true })
})

const env = () => ({ NEW_RELIC_API_KEY: KEY, PEAKCAST_NERDGRAPH_URL: fake.url })

async function seriesFrom(configFile: string): Promise<Series> {
  const service = loadConfig(join(tmp, configFile)).services[0]
  const { series } = await loadTelemetry(service.telemetry, {
    service: service.name,
    baseDir: tmp,
    env: env(),
    log: memoryLogger(),
    window: { from: DATA_START, to: DATA_START + 4 * WEEK }
  })
  return series
}

test('the two configs differ only in the telemetry block', () => {
  const a = readFileSync(join(tmp, 'file.yaml'), 'utf8').split('\n')
  const b = readFileSync(join(tmp, 'newrelic.yaml'), 'utf8').split('\n')
  expect(a.length).toBe(b.length)
  const differing = a.map((line, i) => (line === b[i] ? -1 : i)).filter(i => i >= 0)
  expect(differing.map(i => a[i])).toEqual([FILE_BLOCK])
})

test('file and New Relic give the same Series', async () => {
  const fromFile = await seriesFrom('file.yaml')
  const fromNewRelic = await seriesFrom('newrelic.yaml')
  expect(fromNewRelic.start).toBe(fromFile.start)
  expect(fromNewRelic.stepMs).toBe(fromFile.stepMs)
  expect(Object.keys(fromNewRelic.endpoints)).toEqual(Object.keys(fromFile.endpoints))
  expect(fromNewRelic.total.requests).toEqual(fromFile.total.requests)
  expect(fromNewRelic.total.errors).toEqual(fromFile.total.errors)
  for (const name of Object.keys(fromFile.endpoints)) {
    const f = fromFile.endpoints[name]
    const n = fromNewRelic.endpoints[name]
    expect(n.requests).toEqual(f.requests)
    // New Relic answers latency in seconds: equal to the file's ms up to float rounding
    n.latencyMs!.forEach((v, i) => expect(v).toBeCloseTo(f.latencyMs![i]!, 9))
    n.p95Ms!.forEach((v, i) => expect(v).toBeCloseTo(f.p95Ms![i]!, 9))
  }

  // the forecaster sees the same history, so it forecasts the same week
  const origin = fromFile.start + fromFile.total.requests.length * fromFile.stepMs
  const baseline = new SeasonalBaseline()
  const a = await baseline.forecast({ history: fromFile.total.requests, origin, horizon: 168 })
  const b = await baseline.forecast({ history: fromNewRelic.total.requests, origin, horizon: 168 })
  expect(b).toEqual(a)
})

test('export-telemetry writes byte-identical CSV from either source', async () => {
  const run = async (config: string) => {
    const cwd = mkdtempSync(join(tmp, 'out-'))
    const out = await exportTelemetryCommand.run({ config: join(tmp, config) }, { cwd, env: env(), log: memoryLogger(), now: NOW })
    return readFileSync(out.outputs!.path, 'utf8')
  }
  const fromFile = await run('file.yaml')
  const fromNewRelic = await run('newrelic.yaml')
  expect(fromNewRelic).toBe(fromFile)
  expect(fromFile.split('\n')).toHaveLength(1 + 672 * ENDPOINTS.length + 1)
  // and it is the data itself: the first row is the first hour of the first endpoint by name
  const first = data.find(h => h.t === DATA_START && h.endpoint === 'GET /products/{id}')!
  expect(fromFile.split('\n')[1]).toBe(`2026-01-05T00:00:00Z,GET /products/{id},${first.requests},${first.latencyMs},${first.p95Ms},${first.errors}`)
})
