/**
 * Telemetry from a CSV or NDJSON file. The header tells the layout apart; rows are streamed.
 * Values that parse but are unusable (NaN, negative) pass through: normalize drops and reports
 * them, so every source reports repairs the same way. Text that does not parse at all is an
 * error naming the file and line.
 */
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { extname, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { parse } from 'csv-parse'
import type { TelemetrySourceConfig } from '../config/peakcast-config.js'
import { PeakcastError, type Place } from '../util/errors.js'
import type { RawPoint, SourceContext } from './series.js'
import { checkTimeZone, parseTimestamp, wallClockToUtc } from './timestamp.js'

export interface ReadOptions {
  format?: 'csv' | 'ndjson' | 'auto'
  /** zone of timestamps written without an offset; default UTC */
  timezone?: string
}

const GENERIC_REQUIRED = ['timestamp', 'requests']
const GENERIC_OPTIONAL = ['endpoint', 'latency_ms', 'p95_ms', 'errors']
const NAB = ['timestamp', 'value']
const VSAVERIS = ['year', 'month', 'day', 'week_day', 'hour', 'requests']
const EXPECTED_LAYOUTS =
  'timestamp,endpoint,requests,latency_ms,p95_ms,errors (endpoint, latency_ms, p95_ms, errors optional); ' +
  'timestamp,value (NAB); or year,month,day,week_day,hour,requests'

export async function fetchFile(cfg: Extract<TelemetrySourceConfig, { type: 'file' }>, ctx: SourceContext): Promise<RawPoint[]> {
  const path = resolve(ctx.baseDir, cfg.path)
  const points = await readTelemetryFile(path, { format: cfg.format, timezone: cfg.timezone })
  ctx.log.info(`${cfg.path}: ${points.length} telemetry rows`)
  return points
}

export async function readTelemetryFile(path: string, opts: ReadOptions = {}): Promise<RawPoint[]> {
  const timezone = opts.timezone ?? 'UTC'
  checkTimeZone(timezone, { file: path, field: 'timezone' })
  const size = await stat(path).then(
    s => s.size,
    (err: NodeJS.ErrnoException) => {
      throw new PeakcastError(`cannot read telemetry file (${err.code ?? err.message})`, { file: path }, 'check the path in peakcast.yaml')
    }
  )
  if (size === 0) throw emptyFile(path)
  const format = opts.format === 'csv' || opts.format === 'ndjson' ? opts.format : await detectFormat(path)
  const points = format === 'ndjson' ? await readNdjson(path, timezone) : await readCsv(path, timezone)
  if (points.length === 0) throw new PeakcastError('has no data rows', { file: path }, 'the file holds a header only')
  return points
}

function emptyFile(path: string): PeakcastError {
  return new PeakcastError('file is empty', { file: path }, `expected a CSV header: ${EXPECTED_LAYOUTS}; or NDJSON`)
}

async function detectFormat(path: string): Promise<'csv' | 'ndjson'> {
  const ext = extname(path).toLowerCase()
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson'
  if (ext === '.csv') return 'csv'
  const fh = await open(path, 'r')
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(1024), 0, 1024, 0)
    return buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart().startsWith('{') ? 'ndjson' : 'csv'
  } finally {
    await fh.close()
  }
}

type RowReader = (record: string[], line: number) => RawPoint

async function readCsv(path: string, timezone: string): Promise<RawPoint[]> {
  const parser = createReadStream(path).pipe(parse({ info: true, relax_column_count: true, skip_empty_lines: true, bom: true, trim: true }))
  const points: RawPoint[] = []
  let header: string[] | undefined
  let read: RowReader | undefined
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!header || !read) {
        header = record.map(h => h.toLowerCase())
        read = csvLayout(header, path, info.lines, timezone)
        continue
      }
      if (record.length !== header.length) {
        throw new PeakcastError(
          `row has ${record.length} columns, the header has ${header.length}`,
          { file: path, line: info.lines },
          'check for an unquoted comma or a missing field'
        )
      }
      points.push(read(record, info.lines))
    }
  } catch (err) {
    if (err instanceof PeakcastError) throw err
    const csvErr = err as { code?: string; lines?: number; message: string }
    if (csvErr.code?.startsWith('CSV_')) throw new PeakcastError(`not valid CSV: ${csvErr.message}`, { file: path, line: csvErr.lines })
    throw err
  }
  if (!header) throw emptyFile(path)
  return points
}

function csvLayout(header: string[], file: string, line: number, timezone: string): RowReader {
  const same = (cols: string[]) => cols.length === header.length && cols.every((c, i) => c === header[i])
  if (same(NAB)) {
    return (r, line) => ({
      t: timestampOf(r[0], { file, line, field: 'timestamp' }, timezone),
      requests: numberOf(r[1], { file, line, field: 'value' }, true)!,
      line
    })
  }
  if (same(VSAVERIS)) return (r, line) => vsaverisRow(r, { file, line }, timezone)
  const known = [...GENERIC_REQUIRED, ...GENERIC_OPTIONAL]
  const genericOk =
    GENERIC_REQUIRED.every(c => header.includes(c)) && header.every(c => known.includes(c)) && new Set(header).size === header.length
  if (!genericOk) {
    throw new PeakcastError(`unknown header "${header.join(',')}"`, { file, line }, `expected columns: ${EXPECTED_LAYOUTS}`)
  }
  const column = new Map(header.map((name, i) => [name, i]))
  return (r, line) => genericPoint(key => (column.has(key) ? r[column.get(key)!] : undefined), { file, line }, timezone)
}

/** Hourly counts written in local time: year,month,day,week_day,hour,requests. */
function vsaverisRow(r: string[], place: Place, timezone: string): RawPoint {
  const [year, month, day, hour] = [0, 1, 2, 4].map(i => integerOf(r[i], { ...place, field: VSAVERIS[i] }))
  const t = wallClockToUtc({ year, month, day, hour }, timezone)
  if (t === undefined) throw new PeakcastError(`${year}-${month}-${day} ${hour}:00 is not a real date and hour`, place)
  return { t, requests: numberOf(r[5], { ...place, field: 'requests' }, true)!, line: place.line }
}

async function readNdjson(path: string, timezone: string): Promise<RawPoint[]> {
  const known = new Set([...GENERIC_REQUIRED, ...GENERIC_OPTIONAL])
  const points: RawPoint[] = []
  let line = 0
  for await (const raw of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    line++
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw
    if (!text.trim()) continue
    const place = { file: path, line }
    let obj: unknown
    try {
      obj = JSON.parse(text)
    } catch {
      throw new PeakcastError('not valid JSON', place, 'NDJSON holds one JSON object per line')
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new PeakcastError('is not a JSON object', place, 'NDJSON holds one JSON object per line')
    }
    const record = obj as Record<string, unknown>
    const unknownKey = Object.keys(record).find(k => !known.has(k))
    if (unknownKey !== undefined) {
      throw new PeakcastError(`unknown key "${unknownKey}"`, { ...place, field: unknownKey }, `expected keys: ${[...known].join(', ')}`)
    }
    points.push(genericPoint(key => record[key], place, timezone))
  }
  return points
}

/** The generic layout, shared by CSV columns and NDJSON keys. */
function genericPoint(get: (key: string) => unknown, place: Place, timezone: string): RawPoint {
  const at = (field: string): Place => ({ ...place, field })
  const p: RawPoint = {
    t: timestampOf(get('timestamp'), at('timestamp'), timezone),
    requests: numberOf(get('requests'), at('requests'), true)!,
    line: place.line
  }
  const endpoint = get('endpoint')
  if (endpoint !== undefined && endpoint !== null && endpoint !== '') {
    if (typeof endpoint !== 'string') throw new PeakcastError('endpoint must be text', at('endpoint'))
    p.endpoint = endpoint
  }
  const latency = numberOf(get('latency_ms'), at('latency_ms'), false)
  const p95 = numberOf(get('p95_ms'), at('p95_ms'), false)
  const errors = numberOf(get('errors'), at('errors'), false)
  if (latency !== undefined) p.latencyMs = latency
  if (p95 !== undefined) p.p95Ms = p95
  if (errors !== undefined) p.errors = errors
  return p
}

function timestampOf(v: unknown, place: Place, timezone: string): number {
  const t =
    typeof v === 'number' ? parseTimestamp(String(v), timezone) : typeof v === 'string' ? parseTimestamp(v, timezone) : undefined
  if (t === undefined) {
    throw new PeakcastError(
      v === undefined || v === null || v === '' ? 'timestamp is missing' : `cannot read timestamp "${String(v)}"`,
      place,
      'use ISO-8601 (2026-01-05T14:00:00Z), "2026-01-05 14:00:00" (read in the configured timezone) or epoch seconds/milliseconds'
    )
  }
  return t
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i
/** spellings exporters use for unusable values: read, then dropped by normalize with a reason */
const SPECIAL: Record<string, number> = {
  nan: NaN,
  inf: Infinity,
  '+inf': Infinity,
  infinity: Infinity,
  '+infinity': Infinity,
  '-inf': -Infinity,
  '-infinity': -Infinity
}

function numberOf(v: unknown, place: Place, required: boolean): number | undefined {
  if (v === undefined || v === null || v === '') {
    if (required) throw new PeakcastError(`${place.field} is missing`, place)
    return undefined
  }
  if (typeof v === 'number') return v
  if (typeof v === 'string') {
    const s = v.trim()
    if (NUMBER.test(s)) return Number(s)
    const special = SPECIAL[s.toLowerCase()]
    if (special !== undefined) return special
  }
  throw new PeakcastError(`cannot read number "${String(v)}"`, place)
}

function integerOf(v: string, place: Place): number {
  if (!/^\d+$/.test(v)) throw new PeakcastError(`cannot read whole number "${v}"`, place)
  return Number(v)
}
