import { resolve } from 'node:path'
import { readHourlyFile } from '../telemetry/hourly-file.js'
import { SeasonalBaseline } from '../forecast/baseline.js'
import { backtest, type BacktestResult } from '../forecast/backtest.js'
import { differenceCell, METRICS, type MetricKey } from '../forecast/compare-models.js'
import { compareWeekScores, type MetricDifference } from '../forecast/significance.js'
import { isoUtc, utcDay } from '../forecast/calendar.js'
import { resolveForecaster } from '../forecast/resolve.js'
import { writeFileAtomic } from '../util/atomic-write.js'
import type { Command } from './command.js'
import type { CommandContext } from './context.js'

export interface BacktestCommandOptions {
  /** telemetry file (CSV or NDJSON), relative to ctx.cwd */
  data: string
  /** zone of timestamps written without an offset; default UTC */
  timezone?: string
  warmupWeeks?: number
  /** model directory; default: the model shipped with the action */
  model?: string
  /** print JSON instead of the table */
  json?: boolean
  /** write every prediction to this CSV, relative to ctx.cwd */
  predictions?: string
}

/** Scores the plain 4-week seasonal mean and the forecasting model side by side on one telemetry file. */
export async function backtestCommand(
  opts: BacktestCommandOptions,
  ctx: CommandContext
): Promise<{ result: BacktestResult; text: string }> {
  const path = resolve(ctx.cwd, opts.data)
  const { series, report } = await readHourlyFile(path, { source: opts.data, timezone: opts.timezone, purpose: 'a backtest' })
  ctx.log.info(
    `${opts.data}: ${series.total.requests.length} hours from ${isoUtc(series.start)} ` +
      `(${report.gapsFilled} gaps filled, ${report.duplicatesMerged} duplicates merged, ${report.dropped.length} rows dropped)`
  )

  const model = await resolveForecaster(opts.model, ctx.cwd)
  const done = ctx.log.step(`backtest: seasonal-naive vs ${model.id}`)
  const result = await backtest(series.total.requests, series.start, [new SeasonalBaseline(), model], {
    warmupWeeks: opts.warmupWeeks
  })
  done()

  if (opts.predictions) {
    const out = resolve(ctx.cwd, opts.predictions)
    writeFileAtomic(out, predictionsCsv(result))
    ctx.log.info(`predictions written to ${out}`)
  }
  const text = opts.json ? `${JSON.stringify(summaryJson(opts.data, result), null, 2)}\n` : table(opts.data, result)
  return { result, text }
}

/** Each later forecaster against the first (the seasonal baseline), metric by metric. */
function differences(r: BacktestResult): Record<MetricKey, MetricDifference>[] {
  const [baseline, ...others] = r.forecasters
  return others.map(f => compareWeekScores(f.weekScores, baseline.weekScores, METRICS))
}

function table(data: string, r: BacktestResult): string {
  const first = r.origins[0]
  const last = r.origins[r.origins.length - 1]
  const head =
    `backtest of ${data}: ${r.origins.length} weekly origins, ${utcDay(first)} → ${utcDay(last)} ` +
    `(warm-up ${r.warmupWeeks} weeks, history ${r.historyWeeks} weeks, horizon ${r.horizon} h)`
  const diffs = differences(r)
  const rows = [
    ...METRICS.map(m => ({
      label: m.label,
      cells: [...r.forecasters.map(f => m.value(f.metrics).toFixed(m.digits)), ...diffs.map(d => differenceCell(d[m.key], m.digits))]
    })),
    { label: 'P10–P90 coverage (%, nominal 80)', cells: r.forecasters.map(f => (100 * f.metrics.bandCoverage).toFixed(1)) }
  ]
  const header = ['metric', ...r.forecasters.map(f => f.model), ...r.forecasters.slice(1).map(f => `${f.id} vs ${r.forecasters[0].id}`)]
  const labelWidth = Math.max(...rows.map(row => row.label.length), header[0].length)
  const widths = header.slice(1).map((h, k) => Math.max(h.length, 8, ...rows.map(row => (row.cells[k] ?? '').length)))
  const line = (label: string, cells: string[]) =>
    [label.padEnd(labelWidth), ...cells.map((c, k) => (k < r.forecasters.length ? c.padStart(widths[k]) : c.padEnd(widths[k])))]
      .join('  ')
      .trimEnd()
  return [
    head,
    line(header[0], header.slice(1)),
    ...rows.map(row => line(row.label, row.cells)),
    '',
    'Differences: the later model minus the first in lower-is-better units (peak-day accuracy negated, P90 coverage as',
    'distance from 90 %), with the 99 % interval of a paired circular-block bootstrap over the weeks; only an interval',
    'that excludes zero counts as better or worse.',
    `Peak day in hindsight: ${(100 * r.peakDayHindsight).toFixed(1)} % of the weeks peaked on the weekday that peaked most often.`
  ].join('\n') + '\n'
}

const round = (x: number) => Math.round(x * 1e4) / 1e4

function summaryJson(data: string, r: BacktestResult) {
  const diffs = differences(r)
  const rounded = (d: Record<MetricKey, MetricDifference>) =>
    Object.fromEntries(
      Object.entries(d)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, { change: v.change, delta: round(v.delta), hi: round(v.hi), lo: round(v.lo) }])
    )
  return {
    data,
    forecasters: r.forecasters.map((f, k) => ({
      ...(k > 0 ? { differenceFromFirst: rounded(diffs[k - 1]) } : {}),
      id: f.id,
      metrics: {
        bandCoverage: round(f.metrics.bandCoverage),
        p90Coverage: round(f.metrics.p90Coverage),
        peakDayAccuracy: round(f.metrics.peakDayAccuracy),
        peakHourMaeH: round(f.metrics.peakHourMaeH),
        peakRateMape: round(f.metrics.peakRateMape),
        wape: round(f.metrics.wape),
        weeks: f.metrics.weeks
      },
      model: f.model
    })),
    historyWeeks: r.historyWeeks,
    horizon: r.horizon,
    origins: { count: r.origins.length, first: isoUtc(r.origins[0]), last: isoUtc(r.origins[r.origins.length - 1]) },
    peakDayHindsight: round(r.peakDayHindsight),
    warmupWeeks: r.warmupWeeks
  }
}

/** model,origin,timestamp,p10,p50,p90 — requests per hour, fixed 3 decimals, so reruns are byte-identical. */
export function predictionsCsv(r: BacktestResult): string {
  const lines = ['model,origin,timestamp,p10,p50,p90']
  for (const f of r.forecasters) {
    const model = /[",\n]/.test(f.model) ? `"${f.model.replace(/"/g, '""')}"` : f.model
    for (const p of f.predictions) {
      lines.push(
        [model, isoUtc(p.origin), isoUtc(p.timestamp), p.p10.toFixed(3), p.p50.toFixed(3), p.p90.toFixed(3)].join(',')
      )
    }
  }
  return `${lines.join('\n')}\n`
}

export const backtestCmd: Command = {
  name: 'backtest',
  summary: 'Score the forecasting model against the 4-week seasonal baseline on a telemetry file',
  options: [
    { name: 'data', description: 'telemetry CSV/NDJSON (timestamp,value; generic; vsaveris layout)', type: 'string', required: true },
    { name: 'timezone', description: 'zone of timestamps written without an offset', type: 'string' },
    { name: 'warmup-weeks', description: 'weeks before the first origin', type: 'number', default: '8' },
    { name: 'model', description: 'model directory, "default" or "seasonal-naive"', type: 'string' },
    { name: 'json', description: 'print JSON instead of the table', type: 'boolean' },
    { name: 'predictions', description: 'write model,origin,timestamp,p10,p50,p90 rows to this CSV', type: 'string' }
  ],
  async run(o, ctx) {
    const { text } = await backtestCommand(
      {
        data: String(o.data),
        timezone: o.timezone as string | undefined,
        warmupWeeks: o['warmup-weeks'] as number | undefined,
        model: o.model as string | undefined,
        json: o.json === true,
        predictions: o.predictions as string | undefined
      },
      ctx
    )
    return { text }
  }
}
