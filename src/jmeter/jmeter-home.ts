import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { PeakcastError } from '../util/errors.js'

export const JMETER_VERSION = '5.6.3'

/** Where scripts/install-jmeter.sh puts JMeter (same PEAKCAST_CACHE rule as the script). */
export function installedJmeterHome(repoRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.PEAKCAST_CACHE || join(repoRoot, '.cache')
  return resolve(cache, 'jmeter', `apache-jmeter-${JMETER_VERSION}`)
}

/**
 * JMETER_HOME if set, else the install script's cache path. Either must hold bin/ApacheJMeter.jar,
 * the launcher the local runner starts with `java -jar`.
 */
export function findJmeterHome(env: NodeJS.ProcessEnv = process.env, repoRoot: string = process.cwd()): string {
  const candidates = env.JMETER_HOME ? [resolve(env.JMETER_HOME)] : [installedJmeterHome(repoRoot, env)]
  for (const home of candidates) {
    if (existsSync(join(home, 'bin', 'ApacheJMeter.jar'))) return home
  }
  const where = env.JMETER_HOME ? `JMETER_HOME=${env.JMETER_HOME}` : candidates[0]
  throw new PeakcastError(
    `no JMeter ${JMETER_VERSION} found (${where} has no bin/ApacheJMeter.jar)`,
    { field: 'JMETER_HOME' },
    'run scripts/install-jmeter.sh and set JMETER_HOME to the path it prints, or use engine: docker'
  )
}
