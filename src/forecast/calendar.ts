/**
 * UTC calendar arithmetic for hourly series. Weeks start Monday 00:00 UTC, so "hour of week"
 * 0 is Monday 00:00Z and 167 is Sunday 23:00Z.
 */

import { HOUR_MS } from '../telemetry/series.js'

// Module-level aliases: hot loops call these per hour, and global lookups are very slow inside
// jest's vm sandbox (≈100× here), which made the real-data backtest tests crawl.
const { floor } = Math

export const DAY_HOURS = 24
export const WEEK_HOURS = 168
export const DAY_MS = DAY_HOURS * HOUR_MS
export const WEEK_MS = WEEK_HOURS * HOUR_MS

// 1970-01-01 was a Thursday: Monday 00:00Z lies 3 days before the epoch.
const MONDAY_OFFSET_MS = 3 * DAY_MS

function mod(a: number, m: number): number {
  return ((a % m) + m) % m
}

/** 0 = Monday 00:00Z … 167 = Sunday 23:00Z */
export function hourOfWeek(t: number): number {
  return floor(mod(t + MONDAY_OFFSET_MS, WEEK_MS) / HOUR_MS)
}

/** 0..23 */
export function hourOfDay(t: number): number {
  return floor(mod(t, DAY_MS) / HOUR_MS)
}

/** The first Monday 00:00Z at or after t. */
export function nextMondayUtc(t: number): number {
  const sinceMonday = mod(t + MONDAY_OFFSET_MS, WEEK_MS)
  return sinceMonday === 0 ? t : t - sinceMonday + WEEK_MS
}

/** "2026-11-27" */
export function utcDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10)
}

/** "14:00Z" */
export function utcHourLabel(t: number): string {
  return `${String(hourOfDay(t)).padStart(2, '0')}:00Z`
}

/** "2026-11-27T14:00:00Z" — second precision, no milliseconds, for stable generated files. */
export function isoUtc(t: number): string {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
