/** Where bad input was found: enough for a user to open the file and fix it. */
export interface Place {
  file?: string
  line?: number
  field?: string
}

/**
 * The one error type for bad input and failed external calls. Its message names the place
 * ("peakcast.yaml:12 services[0].headroom") and says what to do (hint).
 */
export class PeakcastError extends Error {
  readonly place: Place
  readonly hint?: string

  constructor(message: string, place: Place = {}, hint?: string) {
    super(formatMessage(message, place, hint))
    this.name = 'PeakcastError'
    this.place = place
    this.hint = hint
  }
}

export function formatPlace(place: Place): string {
  const where = place.file ? (place.line !== undefined ? `${place.file}:${place.line}` : place.file) : ''
  return [where, place.field].filter(Boolean).join(' ')
}

function formatMessage(message: string, place: Place, hint?: string): string {
  const where = formatPlace(place)
  return `${where ? `${where}: ` : ''}${message}${hint ? ` (${hint})` : ''}`
}
