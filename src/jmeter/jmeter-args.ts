import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * The command line both runners (local java, Docker) give JMeter: non-GUI, one plan, one CSV JTL,
 * one log, plus -J properties. The JTL format is forced here rather than trusted to the
 * installation's jmeter.properties, so a local install and the Docker image write the same columns.
 */
export const JTL_FORMAT_PROPS: Readonly<Record<string, string>> = {
  'jmeter.save.saveservice.output_format': 'csv',
  'jmeter.save.saveservice.print_field_names': 'true',
  'jmeter.save.saveservice.timestamp_format': 'ms',
  'jmeter.save.saveservice.time': 'true',
  'jmeter.save.saveservice.label': 'true',
  'jmeter.save.saveservice.response_code': 'true',
  'jmeter.save.saveservice.response_message': 'true',
  'jmeter.save.saveservice.successful': 'true',
  'jmeter.save.saveservice.thread_name': 'true',
  'jmeter.save.saveservice.data_type': 'false',
  'jmeter.save.saveservice.assertion_results_failure_message': 'true',
  'jmeter.save.saveservice.bytes': 'true',
  'jmeter.save.saveservice.sent_bytes': 'true',
  'jmeter.save.saveservice.url': 'true',
  'jmeter.save.saveservice.thread_counts': 'true',
  'jmeter.save.saveservice.latency': 'true',
  'jmeter.save.saveservice.connect_time': 'true',
  'jmeter.save.saveservice.idle_time': 'false',
  // Redirect hops and embedded resources would otherwise appear as extra rows ("label-0").
  'jmeter.save.saveservice.subresults': 'false',
  // Open-model tests leave an idle non-daemon pool thread that keeps the JVM alive for a minute.
  'jmeterengine.force.system.exit': 'true',
  // Progress lines every 10 s instead of 30 s, forwarded to the log by the runners.
  'summariser.interval': '10'
}

export type JmeterProps = Record<string, string | number>

/**
 * `-n -t plan -l jtl -j log [-e -o dashboard] -Jk=v ...`; keys sorted so the argv is stable.
 * Caller props win over the JTL format defaults.
 */
export function jmeterArgs(paths: { jmx: string; jtl: string; log: string; dashboardDir?: string }, props: JmeterProps = {}): string[] {
  const all: Record<string, string> = { ...JTL_FORMAT_PROPS }
  for (const [k, v] of Object.entries(props)) all[k] = String(v)
  const args = ['-n', '-t', paths.jmx, '-l', paths.jtl, '-j', paths.log]
  if (paths.dashboardDir) args.push('-e', '-o', paths.dashboardDir)
  // The open model starts a thread per arrival; at INFO each logs three lines, which costs more
  // CPU than the requests themselves at a few hundred per second.
  args.push('-Lorg.apache.jmeter.threads.JMeterThread=WARN')
  for (const k of Object.keys(all).sort()) args.push(`-J${k}=${all[k]}`)
  return args
}

/** A summariser progress line: "summary +    123 in 00:00:10 =   12.3/s Avg: ..." (also "summary ="). */
export function isProgressLine(line: string): boolean {
  return /^summary [+=]\s/.test(line.trim())
}

/**
 * The files a run writes under outDir, removed first: JMeter appends to an existing JTL and log,
 * and refuses to write a dashboard into a non-empty directory.
 */
export function freshRunOutputs(outDirArg: string, dashboard?: boolean): { outDir: string; jtl: string; jmeterLog: string; dashboardDir?: string } {
  const outDir = resolve(outDirArg)
  mkdirSync(outDir, { recursive: true })
  const jtl = join(outDir, 'results.jtl')
  const jmeterLog = join(outDir, 'jmeter.log')
  const dashboardDir = dashboard ? join(outDir, 'dashboard') : undefined
  for (const f of [jtl, jmeterLog, dashboardDir]) if (f) rmSync(f, { recursive: true, force: true })
  return { outDir, jtl, jmeterLog, dashboardDir }
}
