/**
 * `peakcast features` for the training recipe, before/without the CLI: writes one training
 * matrix (CSV + <out>.json) from one telemetry file.
 *   npx tsx scripts/build-training-matrix.ts --data FILE --out CSV [--timezone TZ] [--before ISO] [--origins-every N]
 */
import { parseArgs } from 'node:util'
import { featuresCommand } from '../src/commands/features.js'
import { consoleLogger } from '../src/util/log.js'

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    out: { type: 'string' },
    timezone: { type: 'string' },
    before: { type: 'string' },
    'origins-every': { type: 'string' }
  }
})
if (!values.data || !values.out) {
  console.error('usage: build-training-matrix.ts --data FILE --out CSV [--timezone TZ] [--before ISO] [--origins-every N]')
  process.exit(2)
}
await featuresCommand(
  {
    data: values.data,
    out: values.out,
    timezone: values.timezone,
    before: values.before,
    originsEvery: values['origins-every'] === undefined ? undefined : Number(values['origins-every'])
  },
  { log: consoleLogger(), cwd: process.cwd(), env: process.env, now: 0 }
)
