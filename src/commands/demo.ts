import { dirname, join, resolve } from 'node:path'
import { loadConfig } from '../config/load-config.js'
import { startDemoService } from '../demo/service.js'
import { resolveForecaster } from '../forecast/resolve.js'
import { generatorHealth } from '../jmeter/generator-health.js'
import { analyzeJtl, steadyStateStart } from '../jmeter/jtl.js'
import { findJmeterHome, runJmeterLocal } from '../jmeter/local-runner.js'
import { evaluateSlo, latencyHealthy } from '../slo/evaluate.js'
import { loadSlo } from '../slo/load-slo.js'
import { renderResultsMarkdown } from '../slo/report.js'
import { loadTelemetry } from '../telemetry/source.js'
import { writeFilesAtomic } from '../util/atomic-write.js'
import { actionRoot } from '../util/paths.js'
import { learnServiceProfiles } from '../workload/session-mix.js'
import { planWorkload } from '../workload/plan.js'
import type { Command } from './command.js'

/**
 * The whole pipeline on the embedded default: the template repo's peakcast.yaml and bundled
 * telemetry → forecast with the shipped model → workload YAML + JMX → a short real JMeter run
 * against the local demo service → the report a PR would get.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run the whole pipeline on bundled sample telemetry against a local demo service',
  options: [
    { name: 'out', description: 'directory for the workload, JTL, jmeter.log and report', type: 'string', default: 'peakcast-demo' },
    { name: 'seconds', description: 'steady-state seconds of the JMeter run', type: 'number', default: '20' },
    { name: 'config', description: 'peakcast.yaml to use', type: 'string', default: '' }
  ],
  async run(options, ctx) {
    const { log } = ctx
    const configPath = options.config ? resolve(ctx.cwd, String(options.config)) : join(actionRoot(), 'template-repo', 'peakcast.yaml')
    const baseDir = dirname(configPath)
    const out = resolve(ctx.cwd, String(options.out))
    const config = loadConfig(configPath)
    const service = config.services[0]

    let done = log.step(`Reading telemetry of ${service.name}`)
    const { series, report } = await loadTelemetry(service.telemetry, { service: service.name, baseDir, env: ctx.env, log })
    done()
    log.info(`${report.rows} rows from ${report.source}: ${report.gapsFilled} gaps filled, ${report.duplicatesMerged} duplicates merged, ${report.dropped.length} dropped`)

    done = log.step('Forecasting next week and synthesizing the workload')
    const forecaster = await resolveForecaster(service.model, baseDir)
    const learned = await learnServiceProfiles(service, baseDir, log)
    const plan = await planWorkload({ service, series, forecaster, profiles: learned?.profiles, profilesNote: learned?.note })
    const yamlPath = join(out, 'workloads', `${service.name}.yaml`)
    const jmxPath = join(out, 'workloads', `${service.name}.jmx`)
    writeFilesAtomic([{ path: yamlPath, data: plan.yaml }, { path: jmxPath, data: plan.jmx }])
    done()
    const { peak, workload } = plan
    log.info(`peak ${peak.day} ${peak.hour}: P50 ${peak.rps.p50.toFixed(1)} rps, P90 ${peak.rps.p90.toFixed(1)} rps → target ${workload.test.targetRps} rps, ${workload.test.threads} threads`)

    log.info(`Load test: ${options.seconds} s at ${workload.test.targetRps} rps against the demo service`)
    const demo = await startDemoService({ port: 0 })
    let stats
    try {
      const url = new URL(demo.url)
      const rampUp = 5
      const run = await runJmeterLocal({
        jmx: jmxPath,
        outDir: join(out, 'results'),
        jmeterHome: findJmeterHome(ctx.env, actionRoot()),
        props: { 'peakcast.host': url.hostname, 'peakcast.port': url.port, 'peakcast.protocol': 'http', 'peakcast.duration': Number(options.seconds), 'peakcast.rampup': rampUp },
        timeoutMs: (Number(options.seconds) + rampUp + 120) * 1000,
        log
      })
      // judge the steady state only: the ramp-up runs below target by design
      stats = await analyzeJtl(run.jtl, { targetRps: workload.test.targetRps, from: await steadyStateStart(run.jtl, rampUp) })
    } finally {
      await demo.stop()
    }

    const slo = loadSlo(join(baseDir, 'slo.yaml'))
    const result = evaluateSlo(slo, stats, { targetRps: workload.test.targetRps })
    const health = generatorHealth({ stats, targetRps: workload.test.targetRps, shards: 1, latencyHealthy: latencyHealthy(result) })
    const markdown = renderResultsMarkdown({ service: service.name, stats, slo: result, targetRps: workload.test.targetRps, health, marker: 'peakcast-demo' })
    writeFilesAtomic([{ path: join(out, 'report.md'), data: markdown }])
    const forecastLine = `Forecast for the week after ${plan.workload.forecast.window.to}: peak ${peak.day} at ${peak.hour}, ` +
      `P10/P50/P90 ${peak.rps.p10.toFixed(1)}/${peak.rps.p50.toFixed(1)}/${peak.rps.p90.toFixed(1)} rps (last week's peak ${plan.lastWeekPeakRps.toFixed(1)} rps; model ${plan.forecast.model})`
    return {
      text: [forecastLine, `Workload: ${yamlPath} and ${jmxPath}`, '', markdown.replace(/^<!--.*-->\n/, ''), `Files in ${out}`].join('\n'),
      outputs: { 'peak-rps': peak.rps.p90.toFixed(1), 'target-rps': String(workload.test.targetRps), verdict: result.verdict }
    }
  }
}
