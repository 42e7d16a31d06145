/**
 * Series → CSV in the generic layout readTelemetryFile reads back. Byte-stable: rows sorted by
 * time then endpoint, numbers rounded to 3 decimals with trailing zeros dropped, no wall clock.
 */
import { bucketTimes, type Metrics, type Series } from './series.js'

const HEADER = 'timestamp,endpoint,requests,latency_ms,p95_ms,errors'
const DECIMALS = 3

export function seriesToCsv(series: Series): string {
  const times = bucketTimes(series).map(t => new Date(t).toISOString().replace('.000Z', 'Z'))
  const names = Object.keys(series.endpoints).sort()
  // A series without endpoints is written as the service total, in rows without an endpoint.
  const rows: [string, Metrics][] = names.length > 0 ? names.map(n => [n, series.endpoints[n]]) : [['', series.total]]
  const lines = [HEADER]
  times.forEach((time, i) => {
    for (const [name, m] of rows) {
      lines.push([time, csvField(name), num(m.requests[i]), num(m.latencyMs?.[i]), num(m.p95Ms?.[i]), num(m.errors?.[i])].join(','))
    }
  })
  return `${lines.join('\n')}\n`
}

function num(v: number | null | undefined): string {
  if (v === null || v === undefined) return ''
  const s = v.toFixed(DECIMALS).replace(/\.?0+$/, '')
  return s === '-0' ? '0' : s
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}
