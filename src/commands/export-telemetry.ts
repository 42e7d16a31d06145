import { dirname, resolve } from 'node:path'
import { loadConfig } from '../config/load-config.js'
import type { PeakcastConfig, ServiceConfig } from '../config/peakcast-config.js'
import { isoUtc, WEEK_MS } from '../forecast/calendar.js'
import { seriesToCsv } from '../telemetry/export.js'
import { HOUR_MS, type RepairReport, type Series } from '../telemetry/series.js'
import { loadTelemetry } from '../telemetry/source.js'
import { writeFileAtomic } from '../util/atomic-write.js'
import { PeakcastError } from '../util/errors.js'
import type { Command } from './command.js'

/**
 * Pulls one service's telemetry from the source peakcast.yaml names (New Relic, Prometheus,
 * Splunk, a file …) over the last N whole weeks and writes it as CSV in the file source's
 * layout: a snapshot to inspect, to backtest on, or to switch a service to `type: file`.
 */
export const exportTelemetryCommand: Command = {
  name: 'export-telemetry',
  summary: "Write a service's telemetry, as its configured source returns it after repair, to a CSV file",
  options: [
    { name: 'config', description: 'peakcast.yaml', type: 'string', default: 'peakcast.yaml' },
    { name: 'service', description: 'service to export (may be left out when peakcast.yaml has one)', type: 'string' },
    { name: 'out', description: 'CSV file to write (default: telemetry-export/<service>.csv)', type: 'string' },
    { name: 'weeks', description: "weeks of history before now (default: the service's historyWeeks)", type: 'number' }
  ],
  async run(options, ctx) {
    const configPath = resolve(ctx.cwd, String(options.config ?? 'peakcast.yaml'))
    const config = loadConfig(configPath)
    const service = pickService(config, options.service === undefined ? undefined : String(options.service), configPath)
    const weeks = options.weeks === undefined ? service.historyWeeks : Number(options.weeks)
    if (!Number.isInteger(weeks) || weeks < 1) throw new PeakcastError(`--weeks must be a whole number of weeks ≥ 1, got ${weeks}`, { field: 'weeks' })
    const window = exportWindow(ctx.now, weeks)
    const out = resolve(ctx.cwd, options.out === undefined ? `telemetry-export/${service.name}.csv` : String(options.out))

    const { series, report } = await loadTelemetry(service.telemetry, {
      service: service.name,
      baseDir: dirname(configPath),
      env: ctx.env,
      log: ctx.log,
      window
    })
    writeFileAtomic(out, seriesToCsv(series))
    const text = exportText(service.name, series, report, window, out)
    return { text, outputs: { path: out, rows: String(series.total.requests.length) }, summary: `\`\`\`\n${text}\`\`\`\n` }
  }
}

function pickService(config: PeakcastConfig, name: string | undefined, configPath: string): ServiceConfig {
  const names = config.services.map(s => s.name)
  if (name === undefined || name === '') {
    if (config.services.length === 1) return config.services[0]
    throw new PeakcastError(`${names.length} services in the config; say which one to export`, { file: configPath }, `pass --service, one of: ${names.join(', ')}`)
  }
  const found = config.services.find(s => s.name === name)
  if (!found) throw new PeakcastError(`no service "${name}"`, { file: configPath, field: 'services' }, `one of: ${names.join(', ')}`)
  return found
}

/** The last `weeks` whole weeks of whole hours before now: [to − weeks, to) with `to` the current hour's start. */
export function exportWindow(now: number, weeks: number): { from: number; to: number } {
  const to = Math.floor(now / HOUR_MS) * HOUR_MS
  return { from: to - weeks * WEEK_MS, to }
}

/** What was written and what normalization repaired, for the terminal and the job summary. */
export function exportText(service: string, series: Series, report: RepairReport, window: { from: number; to: number }, out: string): string {
  const hours = series.total.requests.length
  const endpoints = Object.keys(series.endpoints)
  const dropped = report.dropped.slice(0, 10).map(d => `  - ${d.line !== undefined ? `row ${d.line}: ` : ''}${d.reason}`)
  const lines = [
    `${service}: ${hours} hours from ${isoUtc(series.start)} (${endpoints.length > 0 ? `${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'}` : 'service total'}) written to ${out}`,
    `source: ${report.source}, asked for ${isoUtc(window.from)} → ${isoUtc(window.to)}`,
    `repairs: ${report.rows} rows read, ${report.gapsFilled} gap hours filled, ${report.duplicatesMerged} duplicates merged, ${report.outOfOrder} out of order, ${report.dropped.length} dropped`,
    ...dropped,
    ...(report.dropped.length > dropped.length ? [`  - … and ${report.dropped.length - dropped.length} more`] : []),
    ...report.notes.map(n => `note: ${n}`)
  ]
  return `${lines.join('\n')}\n`
}
