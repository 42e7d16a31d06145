/**
 * Regenerates template-repo/telemetry/demo-api.csv from real traffic (vsaveris application-server
 * cluster, MIT). The hourly total shape is real; the endpoint split, latency and errors are
 * synthetic and deterministic. See template-repo/telemetry/SOURCE.md.
 *
 *   npx tsx scripts/make-demo-telemetry.ts [output path]
 */
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { seriesToCsv } from '../src/telemetry/export.js'
import { readTelemetryFile } from '../src/telemetry/file.js'
import { normalize } from '../src/telemetry/normalize.js'
import { HOUR_MS, type RawPoint } from '../src/telemetry/series.js'
import { writeFileAtomic } from '../src/util/atomic-write.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SOURCE = resolve(repoRoot, '../shared/data/app-server-traffic-vsaveris/traffic_stats_HOURLY_CHs.csv')
// an output path argument lets the tests check the committed file is current without touching it
const OUT = process.argv[2] ? resolve(process.argv[2]) : resolve(repoRoot, 'template-repo/telemetry/demo-api.csv')
/** The source writes Central European local time: its spring-forward gap is at 02:00 local. */
const SOURCE_TIMEZONE = 'Europe/Berlin'
const WEEKS = 8
const PEAK_RPS = 30
const WEEK_MS = 7 * 24 * HOUR_MS
/** 1970-01-05 was a Monday: full weeks run Monday 00:00 UTC to Monday 00:00 UTC. */
const MONDAY_EPOCH = 4 * 24 * HOUR_MS

/** share of the total, day swing (± fraction of the share), UTC hour where the swing peaks */
const ENDPOINTS = [
  { name: 'GET /products/{id}', share: 0.5, swing: 0.1, peakHour: 19, latencyMs: 45, errorRate: 0.001 },
  { name: 'GET /search', share: 0.25, swing: 0.15, peakHour: 11, latencyMs: 120, errorRate: 0.002 },
  { name: 'POST /cart', share: 0.15, swing: 0.1, peakHour: 18, latencyMs: 80, errorRate: 0.003 },
  { name: 'GET /checkout', share: 0.1, swing: 0.2, peakHour: 20, latencyMs: 180, errorRate: 0.005 }
]

async function main(): Promise<void> {
  const raw = await readTelemetryFile(SOURCE, { timezone: SOURCE_TIMEZONE })
  const { series } = normalize(raw, { service: 'demo-api', source: SOURCE })
  const end = series.start + series.total.requests.length * HOUR_MS
  const to = Math.floor((end - MONDAY_EPOCH) / WEEK_MS) * WEEK_MS + MONDAY_EPOCH
  const from = to - WEEKS * WEEK_MS
  const first = (from - series.start) / HOUR_MS
  const totals = series.total.requests.slice(first, first + WEEKS * 7 * 24)
  const scale = (PEAK_RPS * 3600) / Math.max(...totals)
  const peakTotal = Math.max(...totals) * scale

  const points: RawPoint[] = []
  totals.forEach((total, i) => {
    const t = from + i * HOUR_MS
    const scaled = Math.round(total * scale)
    const load = (total * scale) / peakTotal
    const hour = new Date(t).getUTCHours()
    const weights = ENDPOINTS.map(e => e.share * (1 + e.swing * Math.cos((2 * Math.PI * (hour - e.peakHour)) / 24)))
    splitInteger(scaled, weights).forEach((requests, k) => {
      const e = ENDPOINTS[k]
      points.push({
        t,
        endpoint: e.name,
        requests,
        // latency grows with load, as a saturating service's does
        latencyMs: Math.round(e.latencyMs * (1 + 0.6 * load * load) * 10) / 10,
        errors: Math.round(requests * e.errorRate * (1 + load))
      })
    })
  })
  const demo = normalize(points, { service: 'demo-api', source: 'demo' }).series
  const csv = seriesToCsv(demo)
  writeFileAtomic(OUT, csv)
  console.log(
    `wrote ${OUT}: ${new Date(from).toISOString()} → ${new Date(to).toISOString()}, scale ${scale.toExponential(6)}, ${csv.length} bytes`
  )
}

/** Splits n into integers proportional to weights, summing to n exactly (largest remainder; ties to the first). */
function splitInteger(n: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0)
  const exact = weights.map(w => (n * w) / sum)
  const parts = exact.map(Math.floor)
  const order = exact.map((x, k) => ({ k, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest || a.k - b.k)
  const missing = n - parts.reduce((a, b) => a + b, 0)
  for (let i = 0; i < missing; i++) parts[order[i].k]++
  return parts
}

await main()
