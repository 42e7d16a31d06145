import type { TelemetrySourceConfig } from '../config/peakcast-config.js'
import { fetchAccessLog } from './accesslog.js'
import { fetchFile } from './file.js'
import { fetchNewRelic } from './newrelic.js'
import { normalize } from './normalize.js'
import { fetchPrometheus } from './prometheus.js'
import type { RawPoint, RepairReport, Series, SourceContext } from './series.js'
import { fetchSplunk } from './splunk.js'

/**
 * The one door to telemetry: whichever source peakcast.yaml names, the caller gets the same
 * regular UTC Series and the same repair report (normalize is applied here, once).
 */
export async function loadTelemetry(cfg: TelemetrySourceConfig, ctx: SourceContext): Promise<{ series: Series; report: RepairReport }> {
  const points = await fetchPoints(cfg, ctx)
  return normalize(points, { service: ctx.service, source: describeSource(cfg) })
}

async function fetchPoints(cfg: TelemetrySourceConfig, ctx: SourceContext): Promise<RawPoint[]> {
  switch (cfg.type) {
    case 'file':
      return fetchFile(cfg, ctx)
    case 'accesslog':
      return fetchAccessLog(cfg, ctx)
    case 'newrelic':
      return fetchNewRelic(cfg, ctx)
    case 'prometheus':
      return fetchPrometheus(cfg, ctx)
    case 'splunk':
      return fetchSplunk(cfg, ctx)
  }
}

export function describeSource(cfg: TelemetrySourceConfig): string {
  switch (cfg.type) {
    case 'file':
    case 'accesslog':
      return `${cfg.type}:${cfg.path}`
    case 'newrelic':
      return `newrelic:${cfg.appName}`
    case 'prometheus':
    case 'splunk':
      return `${cfg.type}:${cfg.url}`
  }
}
