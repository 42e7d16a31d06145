/**
 * One way for the telemetry connectors (New Relic, Prometheus, Splunk) to call an HTTP API:
 * a timeout per attempt, retries with backoff on 429 / 408 / 5xx / network errors / timeouts,
 * and error messages that name the source and query but never carry a secret.
 */
import { PeakcastError } from '../util/errors.js'
import type { Logger } from '../util/log.js'

export interface HttpSettings {
  /** extra attempts after the first */
  retries: number
  /** per attempt, ms */
  timeoutMs: number
  /** first backoff, doubled per attempt, ms */
  backoffMs: number
}

/**
 * Read from the environment so slow telemetry APIs can be given more time without a config
 * change: PEAKCAST_HTTP_RETRIES (default 3), PEAKCAST_HTTP_TIMEOUT_S (default 120),
 * PEAKCAST_HTTP_BACKOFF_MS (default 1000).
 */
export function httpSettings(env: NodeJS.ProcessEnv): HttpSettings {
  return {
    retries: envNumber(env, 'PEAKCAST_HTTP_RETRIES', 3),
    timeoutMs: envNumber(env, 'PEAKCAST_HTTP_TIMEOUT_S', 120) * 1000,
    backoffMs: envNumber(env, 'PEAKCAST_HTTP_BACKOFF_MS', 1000)
  }
}

function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  const n = Number(text)
  if (!Number.isFinite(n) || n < 0) throw new PeakcastError(`${name} must be a non-negative number, got "${text}"`, { field: name })
  return n
}

export interface CallOptions {
  /** names the call in messages, e.g. `newrelic NerdGraph query "requests"` */
  what: string
  log: Logger
  settings: HttpSettings
  /** values that must never appear in an error or log line (keys, tokens) */
  secrets: string[]
  sleep?: (ms: number) => Promise<void>
}

const defaultSleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms))

/**
 * Sends the request, retrying what is worth retrying. Returns the last response that arrived
 * (ok or not: the caller decides what a 401 or 400 means for its API); throws a PeakcastError
 * when no response arrived at all.
 */
export async function fetchWithRetry(url: string, init: RequestInit, opts: CallOptions): Promise<Response> {
  const { settings, log } = opts
  const sleep = opts.sleep ?? defaultSleep
  for (let attempt = 0; ; attempt++) {
    let res: Response | undefined
    let failure: string | undefined
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(settings.timeoutMs) })
    } catch (err) {
      failure = describeFailure(err, settings.timeoutMs)
    }
    const last = attempt >= settings.retries
    if (res && !(retryableStatus(res.status) && !last)) return res
    if (!res && last) {
      throw new PeakcastError(
        `${opts.what}: ${redact(failure ?? 'no response', opts.secrets)} (after ${attempt + 1} attempt(s))`,
        {},
        'check the URL, the network and that the service is up; PEAKCAST_HTTP_TIMEOUT_S raises the timeout'
      )
    }
    const wait = backoffMs(attempt, settings.backoffMs, res?.headers.get('retry-after'))
    const why = res ? `answered HTTP ${res.status}` : redact(failure ?? 'no response', opts.secrets)
    if (res) await res.arrayBuffer().catch(() => undefined) // drain, so the connection is released
    log.warn(`${opts.what} ${why}; retrying in ${(wait / 1000).toFixed(1)} s (${attempt + 1}/${settings.retries})`)
    await sleep(wait)
  }
}

function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s (timed out)`
  const cause = e.cause?.code ?? e.cause?.message
  return `could not be reached (${cause ? `${e.message}: ${cause}` : e.message})`
}

export function retryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500
}

/** base, 2×base, 4×base … capped at 30 s; a Retry-After in seconds wins when the server sends one. */
export function backoffMs(attempt: number, baseMs: number, retryAfter?: string | null): number {
  const seconds = retryAfter ? Number(retryAfter) : NaN
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 60) * 1000
  return Math.min(baseMs * 2 ** attempt, 30_000)
}

/**
 * The error for a response that is not ok: status, the start of the body (secrets cut out),
 * and a hint that says what to do; 401/403 are called out as authentication problems.
 */
export async function httpError(res: Response, opts: { what: string; secrets: string[]; authHint: string; hint?: string }): Promise<PeakcastError> {
  const body = redact((await res.text().catch(() => '')).replace(/\s+/g, ' ').trim(), opts.secrets).slice(0, 300)
  const auth = res.status === 401 || res.status === 403
  const message = `${opts.what}: ${auth ? 'authentication failed, ' : ''}HTTP ${res.status}${body ? `: ${body}` : ''}`
  const hint = auth
    ? opts.authHint
    : res.status === 429
      ? 'the service is rate limiting; try again later'
      : res.status >= 500
        ? 'the service had a problem; try again later'
        : (opts.hint ?? 'check the query in peakcast.yaml')
  return new PeakcastError(message, {}, hint)
}

export function redact(text: string, secrets: string[]): string {
  return secrets.filter(s => s.length > 0).reduce((acc, s) => acc.split(s).join('***'), text)
}
