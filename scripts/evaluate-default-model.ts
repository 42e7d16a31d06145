/**
 * Scores a model directory against the plain 4-week seasonal mean on the data the default model
 * never saw (see scripts/train-default-model.sh): the vsaveris hold-out year and NAB nyc_taxi,
 * with the paired-bootstrap interval of each difference and the hindsight peak-day ceiling.
 *   npx tsx scripts/evaluate-default-model.ts [--model DIR] [--json OUT]
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { readHourlyFile } from '../src/telemetry/hourly-file.js'
import { SeasonalBaseline } from '../src/forecast/baseline.js'
import { backtest, type BacktestMetrics } from '../src/forecast/backtest.js'
import { differenceCell, METRICS } from '../src/forecast/compare-models.js'
import { compareWeekScores, type MetricDifference } from '../src/forecast/significance.js'
import { defaultModelDir, loadOnnxForecaster } from '../src/forecast/onnx.js'
import { writeFileAtomic } from '../src/util/atomic-write.js'

const { values: args } = parseArgs({ options: { model: { type: 'string' }, json: { type: 'string' } } })
const data = resolve(import.meta.dirname, '../../shared/data')
const HOLD_OUT_FROM = Date.parse('2019-04-01T00:00:00Z')

const sets = [
  {
    name: 'vsaveris hold-out (2019-04-01 → 2020-04-03)',
    file: `${data}/app-server-traffic-vsaveris/traffic_stats_HOURLY_CHs.csv`,
    timezone: 'Europe/Berlin',
    firstOrigin: HOLD_OUT_FROM
  },
  { name: 'NAB nyc_taxi (2014-07 → 2015-01)', file: `${data}/nab/realKnownCause/nyc_taxi.csv`, timezone: 'UTC', firstOrigin: 0 }
]

const model = await loadOnnxForecaster(args.model ? resolve(args.model) : defaultModelDir())
const WEEK = 7 * 24 * 3_600_000
type Scores = BacktestMetrics | Record<string, MetricDifference> | number
const out: Record<string, Record<string, Scores>> = {}
for (const s of sets) {
  const { series } = await readHourlyFile(s.file, { source: s.file, timezone: s.timezone, purpose: 'a backtest' })
  // origins start at the first Monday on/after firstOrigin, and at least 5 weeks in
  const warmupWeeks = Math.max(5, Math.ceil((s.firstOrigin - series.start) / WEEK))
  const r = await backtest(series.total.requests, series.start, [new SeasonalBaseline(), model], { warmupWeeks })
  const [baseline, onnx] = r.forecasters
  const diff = compareWeekScores(onnx.weekScores, baseline.weekScores, METRICS)
  out[s.name] = {
    ...Object.fromEntries(r.forecasters.map(f => [f.id, f.metrics])),
    [`${onnx.id} − ${baseline.id}`]: diff,
    peakDayHindsight: r.peakDayHindsight
  }
  console.log(`\n${s.name}: ${r.origins.length} weekly origins`)
  console.log('model'.padEnd(34), 'peakHourMAE  peakDayAcc  peakMAPE  P90cov  bandCov  WAPE')
  for (const f of r.forecasters) {
    const m = f.metrics
    console.log(
      f.model.padEnd(34),
      m.peakHourMaeH.toFixed(2).padStart(11),
      (100 * m.peakDayAccuracy).toFixed(1).padStart(10),
      m.peakRateMape.toFixed(2).padStart(9),
      (100 * m.p90Coverage).toFixed(1).padStart(7),
      (100 * m.bandCoverage).toFixed(1).padStart(8),
      m.wape.toFixed(2).padStart(5)
    )
  }
  for (const m of METRICS) console.log(`  ${m.label.padEnd(30)} ${differenceCell(diff[m.key], m.digits)}`)
  console.log(`  peak day in hindsight: ${(100 * r.peakDayHindsight).toFixed(1)} % of weeks on the most frequent weekday`)
}
if (args.json) writeFileAtomic(resolve(args.json), `${JSON.stringify(out, null, 2)}\n`)
