/**
 * peakcast.yaml → PeakcastConfig: schema check, defaults, durations in seconds, and the rules a
 * JSON Schema cannot say (unique names, weights that fit in 100 %), each with file:line.
 */
import { readFileSync } from 'node:fs'
import peakcastSchema from '../../schemas/peakcast.schema.json' with { type: 'json' }
import type { EndpointConfig, PeakcastConfig, ProfilesConfig, ServiceConfig, TelemetrySourceConfig } from './peakcast-config.js'
import { parseDuration } from './durations.js'
import { PeakcastError } from '../util/errors.js'
import {
  YamlValidationError,
  fieldName,
  parseYamlSource,
  validateSource,
  type Problem,
  type YamlPath,
  type YamlSource
} from './yaml-validate.js'

/**
 * Defaults for every optional setting. Think time defaults to 0: the test is rate-driven
 * (targetRps), so think time only adds threads; set it to model users who pause.
 */
export const CONFIG_DEFAULTS: Readonly<Omit<ServiceConfig, 'name' | 'target' | 'telemetry' | 'endpoints' | 'model'> & Pick<PeakcastConfig, 'pullRequest'>> = {
  headroom: 1.1,
  duration: 30 * 60,
  rampUp: 5 * 60,
  thinkTime: { meanMs: 0, stdDevMs: 0 },
  latencyMs: 200,
  historyWeeks: 8,
  pullRequest: { labels: ['peakcast'], reviewers: [], branchPrefix: 'peakcast/forecast/', maxChangePercent: 50 }
}

/** The file as written: like PeakcastConfig, with optional settings and durations as text. */
interface RawService {
  name: string
  target: { baseUrl: string }
  telemetry: TelemetrySourceConfig
  endpoints: EndpointConfig[]
  headroom?: number
  duration?: string | number
  rampUp?: string | number
  thinkTime?: { meanMs?: number; stdDevMs?: number }
  latencyMs?: number
  historyWeeks?: number
  model?: string
  profiles?: ProfilesConfig
}

interface RawConfig {
  version: 1
  services: RawService[]
  pullRequest?: Partial<PeakcastConfig['pullRequest']>
}

/** Reads and checks peakcast.yaml. */
export function loadConfig(path: string): PeakcastConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new PeakcastError(`cannot read the config: ${(err as Error).message}`, { file: path }, 'pass --config <path to peakcast.yaml>')
  }
  return parseConfig(text, path)
}

/** The same as loadConfig for text already in memory; `file` names it in messages. */
export function parseConfig(text: string, file: string): PeakcastConfig {
  const source = validateSource<RawConfig>(parseYamlSource(text, file), peakcastSchema)
  const problems: Problem[] = []
  const problem = (path: YamlPath, message: string, expected?: string) =>
    problems.push({ file, line: source.lineOf(path), field: fieldName(path), message, expected })

  const raw = source.value
  const services = raw.services.map((s, i) => toService(s, ['services', i], source, problem))
  checkUnique(raw.services.map(s => s.name), i => ['services', i, 'name'], 'service', problem)
  raw.services.forEach((s, i) => {
    checkUnique(s.endpoints.map(e => e.name), j => ['services', i, 'endpoints', j, 'name'], 'endpoint', problem)
    checkWeights(s.endpoints, ['services', i, 'endpoints'], problem)
  })
  if (problems.length > 0) throw new YamlValidationError(file, problems)

  return {
    version: 1,
    services,
    // fresh arrays: callers may mutate their config without touching the defaults
    pullRequest: { ...CONFIG_DEFAULTS.pullRequest, labels: [...CONFIG_DEFAULTS.pullRequest.labels], reviewers: [], ...raw.pullRequest }
  }
}

type Report = (path: YamlPath, message: string, expected?: string) => void

function toService(s: RawService, at: YamlPath, source: YamlSource<RawConfig>, problem: Report): ServiceConfig {
  // the schema already checked the grammar; parseDuration converts (and guards on its own)
  const seconds = (key: 'duration' | 'rampUp'): number => {
    const value = s[key]
    const path = [...at, key]
    return value === undefined ? CONFIG_DEFAULTS[key] : parseDuration(value, { file: source.file, line: source.lineOf(path), field: fieldName(path) })
  }
  const duration = seconds('duration')
  const rampUp = seconds('rampUp')
  if (duration <= 0) problem([...at, 'duration'], 'the test must last longer than 0 s')
  else if (rampUp >= duration) problem([...at, 'rampUp'], `ramp-up (${rampUp} s) is not shorter than the test (${duration} s)`, 'rampUp < duration')

  const service: ServiceConfig = {
    name: s.name,
    target: { baseUrl: s.target.baseUrl },
    telemetry: s.telemetry,
    endpoints: s.endpoints,
    headroom: s.headroom ?? CONFIG_DEFAULTS.headroom,
    duration,
    rampUp,
    thinkTime: { ...CONFIG_DEFAULTS.thinkTime, ...s.thinkTime },
    latencyMs: s.latencyMs ?? CONFIG_DEFAULTS.latencyMs,
    historyWeeks: s.historyWeeks ?? CONFIG_DEFAULTS.historyWeeks
  }
  if (s.model !== undefined) service.model = s.model
  if (s.profiles !== undefined) {
    // without `from` the sessions come from the telemetry, which only an access log has
    if (s.profiles.from === undefined && s.telemetry.type !== 'accesslog' && s.profiles.maxProfiles !== 0) {
      problem([...at, 'profiles'], 'profiles need an access log: set profiles.from, or use telemetry of type accesslog', 'profiles: {from: logs/access.log}')
    }
    service.profiles = { ...s.profiles }
  }
  return service
}

function checkUnique(names: string[], pathOf: (i: number) => YamlPath, what: string, problem: Report): void {
  const first = new Map<string, number>()
  names.forEach((name, i) => {
    const earlier = first.get(name)
    if (earlier === undefined) first.set(name, i)
    else problem(pathOf(i), `duplicate ${what} name "${name}" (also at index ${earlier})`, `a name used once`)
  })
}

/** Fixed weights take their share first; the endpoints without one split the rest by telemetry. */
function checkWeights(endpoints: EndpointConfig[], at: YamlPath, problem: Report): void {
  const fixed = endpoints.filter(e => e.weight !== undefined)
  if (fixed.length === 0) return
  const sum = fixed.reduce((acc, e) => acc + (e.weight ?? 0), 0)
  const free = endpoints.length - fixed.length
  const shown = Math.round(sum * 10000) / 10000
  if (sum > 1 + 1e-9) {
    problem(at, `fixed endpoint weights sum to ${shown}`, 'a sum of at most 1')
  } else if (free === 0 && Math.abs(sum - 1) > 1e-4) {
    problem(at, `every endpoint has a fixed weight but they sum to ${shown}`, 'a sum of exactly 1, or leave some weights out')
  } else if (free > 0 && sum >= 1 - 1e-9) {
    problem(at, `fixed weights sum to 1, leaving nothing for ${free} endpoint(s) without a weight`, 'a sum below 1')
  }
}
