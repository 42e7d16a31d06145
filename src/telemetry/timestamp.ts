/**
 * Timestamps as telemetry files write them → epoch ms UTC. Local wall-clock times are
 * converted with Intl (no tz database of our own); DST is resolved like Temporal's
 * 'compatible' mode, and normalize reports what that leaves behind (a repeated fall-back hour
 * becomes a duplicate, the hour it leaves empty a gap).
 */
import { PeakcastError } from '../util/errors.js'

const DAY_MS = 86_400_000
/** Epoch numbers below this are seconds (1e11 s is year 5138; 1e11 ms is 1973). */
const EPOCH_SECONDS_BELOW = 1e11

export interface WallClock {
  year: number
  month: number
  day: number
  hour: number
  minute?: number
  second?: number
  ms?: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

/** Throws a PeakcastError for a zone name Intl does not know. */
export function checkTimeZone(timeZone: string, place: { file?: string; field?: string } = {}): void {
  zoneFormatter(timeZone, place)
}

function zoneFormatter(timeZone: string, place: { file?: string; field?: string } = {}): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric'
      })
    } catch {
      throw new PeakcastError(`unknown time zone "${timeZone}"`, place, 'use an IANA name such as "Europe/Berlin" or "UTC"')
    }
    formatters.set(timeZone, f)
  }
  return f
}

/** Offsets by zone and minute: formatToParts is slow, and zone transitions fall on whole minutes. */
const offsets = new Map<string, number>()

/** local − UTC at instant t, in ms */
function offsetAt(t: number, timeZone: string): number {
  const key = `${timeZone} ${Math.floor(t / 60_000)}`
  let offset = offsets.get(key)
  if (offset === undefined) {
    if (offsets.size > 200_000) offsets.clear()
    offset = computeOffset(t, timeZone)
    offsets.set(key, offset)
  }
  return offset
}

function computeOffset(t: number, timeZone: string): number {
  const parts: Record<string, number> = {}
  for (const p of zoneFormatter(timeZone).formatToParts(t)) if (p.type !== 'literal') parts[p.type] = Number(p.value)
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second)
  return wall - Math.floor(t / 1000) * 1000
}

/** Epoch ms of a wall-clock time in timeZone, or undefined when the fields are not a real date. */
export function wallClockToUtc(w: WallClock, timeZone: string): number | undefined {
  const { year, month, day, hour, minute = 0, second = 0, ms = 0 } = w
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms)
  const d = new Date(wall)
  const real =
    d.getUTCFullYear() === year &&
    d.getUTCMonth() === month - 1 &&
    d.getUTCDate() === day &&
    d.getUTCHours() === hour &&
    d.getUTCMinutes() === minute &&
    d.getUTCSeconds() === second
  if (!real) return undefined
  if (timeZone === 'UTC') return wall
  const before = offsetAt(wall - DAY_MS, timeZone)
  const after = offsetAt(wall + DAY_MS, timeZone)
  const candidates = [...new Set([before, after])]
    .map(offset => wall - offset)
    .filter(t => offsetAt(t, timeZone) === wall - t)
    .sort((a, b) => a - b)
  // Repeated (fall-back) time: the earlier instant. Skipped (spring-forward) time: moved
  // forward by the size of the jump, i.e. read with the offset in force before it.
  return candidates.length > 0 ? candidates[0] : wall - before
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i

/**
 * ISO-8601 with Z or an offset; ISO without one (read in timeZone); or an epoch number in
 * seconds or milliseconds. Undefined when the text is none of these.
 */
export function parseTimestamp(text: string, timeZone: string): number | undefined {
  const s = text.trim()
  if (/^\d+(\.\d+)?$/.test(s)) {
    const n = Number(s)
    return n < EPOCH_SECONDS_BELOW ? Math.round(n * 1000) : Math.round(n)
  }
  const m = ISO.exec(s)
  if (!m) return undefined
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m
  const w: WallClock = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: Number(sec),
    ms: frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0
  }
  if (zone === undefined) return wallClockToUtc(w, timeZone)
  const local = wallClockToUtc(w, 'UTC')
  if (local === undefined) return undefined
  if (/^z$/i.test(zone)) return local
  const sign = zone.startsWith('-') ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')
  return local - sign * offsetMin * 60_000
}
