import { PeakcastError, type Place } from '../util/errors.js'

/** The same grammar as the "duration" definition in schemas/*.schema.json. */
const DURATION = /^\s*(?=\d)(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*$/

/** "30m", "90s", "1h30m" or a number of seconds → seconds. */
export function parseDuration(value: unknown, place: Place = {}): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value
  if (typeof value === 'string') {
    const m = DURATION.exec(value)
    if (m) {
      const [h, min, s] = [m[1], m[2], m[3]].map(x => (x === undefined ? 0 : Number(x)))
      // round away float noise such as 0.1h = 360.00000000000006 s
      return Math.round((h * 3600 + min * 60 + s) * 1000) / 1000
    }
  }
  throw new PeakcastError(
    `${JSON.stringify(value)} is not a duration`,
    place,
    'write it like "30m", "90s", "1h30m", or a number of seconds'
  )
}

/** seconds → the shortest "1h30m" form; whole seconds only, so that parseDuration(formatDuration(x)) === x. */
export function formatDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new PeakcastError(`duration ${seconds} s is not a whole, non-negative number of seconds`)
  }
  if (seconds === 0) return '0s'
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`
}
