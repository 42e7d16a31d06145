/**
 * What the API telemetry sources (New Relic, Prometheus, Splunk) share: a key read from an
 * environment variable and masked at once, the hour-aligned query window, its split into
 * chunks a backend accepts, and query templates with {placeholders}.
 */
import { PeakcastError } from '../util/errors.js'
import { HOUR_MS, type SourceContext } from './series.js'

/** Reads a secret from the variable the config names; registers it with the logger before anything can print it. */
export function secretFromEnv(ctx: SourceContext, varName: string, field: string, what: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(varName)) {
    throw new PeakcastError(`"${varName}" is not an environment variable name`, { field }, 'name the variable that holds the secret, never the secret itself')
  }
  const value = ctx.env[varName]
  if (value === undefined || value.trim() === '') {
    throw new PeakcastError(`${what}: environment variable ${varName} is not set`, { field }, `set ${varName} (e.g. from a repository secret) in the workflow env`)
  }
  ctx.log.secret(value)
  return value.trim()
}

/** The window an API source must query: [from, to) on whole hours (from floored, to raised). */
export function hourWindow(ctx: SourceContext, source: string): { from: number; to: number } {
  const w = ctx.window
  if (!w) throw new Error(`${source}: an API telemetry source needs SourceContext.window`)
  const from = Math.floor(w.from / HOUR_MS) * HOUR_MS
  const to = Math.ceil(w.to / HOUR_MS) * HOUR_MS
  if (!(to > from)) {
    throw new PeakcastError(`${source}: empty time window ${new Date(w.from).toISOString()} → ${new Date(w.to).toISOString()}`, {}, 'ask for at least one hour')
  }
  return { from, to }
}

/**
 * Cuts [from, to) into consecutive chunks of at most maxSteps steps: each step lands in exactly
 * one chunk, so the results stitch back without a missing or doubled bucket.
 */
export function splitWindow(window: { from: number; to: number }, stepMs: number, maxSteps: number): { from: number; to: number }[] {
  if (!(maxSteps >= 1) || !Number.isInteger(maxSteps)) throw new Error(`splitWindow: maxSteps must be a positive integer, got ${maxSteps}`)
  const chunks: { from: number; to: number }[] = []
  for (let from = window.from; from < window.to; from += maxSteps * stepMs) {
    chunks.push({ from, to: Math.min(from + maxSteps * stepMs, window.to) })
  }
  return chunks
}

/**
 * The queries to run: the defaults, with the ones peakcast.yaml overrides. An unknown name is an
 * error, so a typo does not silently fall back to a default.
 */
export function pickQueries(defaults: Record<string, string>, overrides: Record<string, string> | undefined, source: string): Record<string, string> {
  const known = Object.keys(defaults)
  for (const name of Object.keys(overrides ?? {})) {
    if (!known.includes(name)) {
      throw new PeakcastError(`${source}: unknown query "${name}"`, { field: `telemetry.queries.${name}` }, `use one of: ${known.join(', ')}`)
    }
  }
  return { ...defaults, ...overrides }
}

/** Fills {name} placeholders; a placeholder with no value is an error naming the query. */
export function fillTemplate(template: string, values: Record<string, string>, queryName: string, source: string): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = values[name]
    if (v === undefined) {
      throw new PeakcastError(
        `${source}: query "${queryName}" has an unknown placeholder ${whole}`,
        { field: `telemetry.queries.${queryName}` },
        `placeholders available: ${Object.keys(values).map(k => `{${k}}`).join(', ')}`
      )
    }
    return v
  })
}

/** Every placeholder must appear, e.g. {from} and {to}: a query without them would ignore the window. */
export function requirePlaceholders(template: string, names: string[], queryName: string, source: string): void {
  const missing = names.filter(n => !template.includes(`{${n}}`))
  if (missing.length > 0) {
    throw new PeakcastError(
      `${source}: query "${queryName}" lacks ${missing.map(n => `{${n}}`).join(' and ')}`,
      { field: `telemetry.queries.${queryName}` },
      'the connector fills in the time window; keep the placeholders in the query'
    )
  }
}

/** A query as error messages name it: its source, its key under telemetry.queries, its text. */
export interface QueryRef {
  source: string
  name: string
  language: 'NRQL' | 'PromQL' | 'SPL'
  text: string
}

export function describeQuery(ref: QueryRef): string {
  return `${ref.source} query "${ref.name}"`
}

export function queryError(ref: QueryRef, why: string, hint?: string): PeakcastError {
  return new PeakcastError(`${describeQuery(ref)} failed: ${why} — ${ref.language}: ${ref.text}`, { field: `telemetry.queries.${ref.name}` }, hint)
}
