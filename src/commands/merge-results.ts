/**
 * `command: merge-results` — after N `test` shards ran as a matrix and uploaded their results,
 * merge every shard's exact statistics per service and judge and report once.
 */
import { resolve } from 'node:path'
import { loadConfig } from '../config/load-config.js'
import { findShardResults } from '../jmeter/shard-results.js'
import { PeakcastError } from '../util/errors.js'
import type { Command } from './command.js'
import { createReporter, newRelicTarget, REPORT_OPTIONS, reportOutcome, reportService, selectServices, type ReportDeps, type ServiceReport } from './report-run.js'

export function createMergeResultsCommand(deps: ReportDeps = {}): Command {
  return {
    name: 'merge-results',
    summary: 'Merge the JTLs of sharded JMeter runs and judge and report them once',
    options: REPORT_OPTIONS,
    async run(options, ctx) {
      const configPath = resolve(ctx.cwd, String(options.config ?? 'peakcast.yaml'))
      const config = loadConfig(configPath)
      const selected = selectServices(config, options.services, configPath)
      const reporter = createReporter(options, ctx, configPath, deps)
      const found = findShardResults(reporter.resultsDir)
      const services = [...found.keys()].filter(name => selected.some(s => s.name === name))
      for (const name of found.keys()) if (!services.includes(name)) ctx.log.info(`${name}: results found but the service is not selected; skipped`)
      if (services.length === 0) {
        throw new PeakcastError(
          'no shard results of the selected services found',
          { file: reporter.resultsDir, field: 'results-dir' },
          'expected <results-dir>/[peakcast-shard-<k>/]<service>/shard-<k>/results.jtl with run.json, as command test writes them'
        )
      }
      const apiKey = String(options['newrelic-api-key'] ?? '')
      const targets = new Map(services.map(name => [name, newRelicTarget(apiKey, selected.find(s => s.name === name), ctx.env)]))
      const reports: ServiceReport[] = []
      for (const service of services) {
        const shards = found.get(service) ?? []
        ctx.log.info(`${service}: merging ${shards.length} shard(s): ${shards.map(s => s.dir).join(', ')}`)
        reports.push(await reportService(reporter, { service, shards, newRelic: targets.get(service) }))
      }
      return reportOutcome(reports, reporter)
    }
  }
}

export const mergeResultsCommand = createMergeResultsCommand()
