/**
 * Exact statistics of a JMeter CSV result file (JTL), streamed: memory grows with the number
 * of labels and the largest latency, never with the number of samples.
 *
 * The tokenizer is hand-written over raw bytes because it is several times faster than
 * csv-parse on multi-million-row files (bench/jtl.bench.ts measures both); it follows
 * JMeter's own CSVSaveService rules: fields holding the delimiter, a quote, CR or LF are
 * quoted, quotes inside are doubled, and every row ends with a line break.
 */
import { open } from 'node:fs/promises'
import { PeakcastError } from '../util/errors.js'
import { LatencyHistogram } from './histogram.js'
import type { LabelStats, RunStats } from './stats.js'

export interface AccumulateOptions {
  /** Keep only samples that start in [from, to) (epoch ms), e.g. to drop a warm-up. */
  from?: number
  to?: number
  /**
   * Whether `timeStamp` is the sample's start (JMeter 5.6.3's bin/jmeter.properties sets
   * sampleresult.timestamp.start=true) or its end. Default true.
   */
  timestampIsStart?: boolean
  /** Initial read buffer size (default 4 MiB); it doubles for a row longer than that. */
  bufferBytes?: number
}

export interface ResultOptions {
  /** Target arrival rate; when given, the result carries achievedRatio = throughput / target. */
  targetRps?: number
}

export type AnalyzeOptions = AccumulateOptions & ResultOptions

/** Summary of a label's samples that can be merged with another shard's without loss. */
interface LabelAccumulator {
  histogram: LatencyHistogram
  errors: number
}

/** The mergeable state behind RunStats: per-label exact histograms and the time span. */
export class JtlAccumulator {
  private readonly labels = new Map<string, LabelAccumulator>()
  startMs = Infinity
  endMs = -Infinity
  /** Transaction Controller parent rows seen and left out (they are not requests). */
  transactionRows = 0

  /** One sample: start epoch ms, elapsed integer ms ≥ 0. */
  add(label: string, startMs: number, elapsedMs: number, success: boolean): void {
    // The histogram indexes by elapsed: a fraction or negative would silently go astray.
    if (!Number.isInteger(elapsedMs) || elapsedMs < 0) throw new RangeError(`elapsed must be whole ms ≥ 0, got ${elapsedMs}`)
    let acc = this.labels.get(label)
    if (acc === undefined) {
      acc = { histogram: new LatencyHistogram(), errors: 0 }
      this.labels.set(label, acc)
    }
    acc.histogram.add(elapsedMs)
    if (!success) acc.errors++
    if (startMs < this.startMs) this.startMs = startMs
    const end = startMs + elapsedMs
    if (end > this.endMs) this.endMs = end
  }

  /** Adds another accumulator's samples (e.g. another shard's JTL) into this one. */
  merge(other: JtlAccumulator): this {
    for (const [label, theirs] of other.labels) {
      let mine = this.labels.get(label)
      if (mine === undefined) {
        mine = { histogram: new LatencyHistogram(), errors: 0 }
        this.labels.set(label, mine)
      }
      mine.histogram.merge(theirs.histogram)
      mine.errors += theirs.errors
    }
    this.startMs = Math.min(this.startMs, other.startMs)
    this.endMs = Math.max(this.endMs, other.endMs)
    this.transactionRows += other.transactionRows
    return this
  }

  get sampleCount(): number {
    let n = 0
    for (const acc of this.labels.values()) n += acc.histogram.count
    return n
  }

  /** Finished statistics; the accumulator must hold at least one sample. */
  result(opts: ResultOptions = {}): RunStats {
    if (this.labels.size === 0) throw new Error('JtlAccumulator.result: no samples')
    // A run whose samples all fit in one millisecond still has a finite rate.
    const seconds = Math.max(this.endMs - this.startMs, 1) / 1000
    const total = { histogram: new LatencyHistogram(), errors: 0 }
    const names = [...this.labels.keys()].sort(compareLabels)
    const labels = names.map(name => {
      const acc = this.labels.get(name) as LabelAccumulator
      total.histogram.merge(acc.histogram)
      total.errors += acc.errors
      return labelStats(name, acc, seconds)
    })
    const stats: RunStats = { total: labelStats('TOTAL', total, seconds), labels, startMs: this.startMs, endMs: this.endMs }
    if (opts.targetRps !== undefined && opts.targetRps > 0) {
      stats.targetRps = opts.targetRps
      stats.achievedRatio = stats.total.throughputRps / opts.targetRps
    }
    return stats
  }
}

/** Code-unit order, independent of locale, so reports are byte-stable everywhere. */
function compareLabels(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function labelStats(label: string, acc: LabelAccumulator, seconds: number): LabelStats {
  const h = acc.histogram
  const [p50, p90, p95, p99] = h.percentiles([50, 90, 95, 99])
  return {
    label,
    count: h.count,
    errors: acc.errors,
    errorRate: acc.errors / h.count,
    min: h.min,
    mean: h.sum / h.count,
    p50,
    p90,
    p95,
    p99,
    max: h.max,
    throughputRps: h.count / seconds
  }
}

/** Exact per-label and total statistics of one JTL. */
export async function analyzeJtl(path: string, opts: AnalyzeOptions = {}): Promise<RunStats> {
  return analyzeJtls([path], opts)
}

/**
 * Where a run's steady state starts: rampUpS seconds after its first sample started. A JTL is
 * written in completion order, so the first start is known only after a full pass.
 */
export async function steadyStateStart(path: string, rampUpS: number): Promise<number> {
  return (await accumulateJtl(path)).startMs + rampUpS * 1000
}

/** Exact statistics over several JTLs (shards of one run), as if they were one file. */
export async function analyzeJtls(paths: readonly string[], opts: AnalyzeOptions = {}): Promise<RunStats> {
  const all = new JtlAccumulator()
  for (const path of paths) all.merge(await accumulateJtl(path, opts))
  if (all.sampleCount === 0) {
    const why = all.transactionRows > 0 ? `only ${all.transactionRows} Transaction Controller rows` : 'no samples'
    const range = opts.from !== undefined || opts.to !== undefined ? ' in the chosen time range' : ''
    throw new PeakcastError(`JTL has ${why}${range}`, { file: paths.join(', ') }, 'check that the test plan ran samplers and that the JTL is the run you meant')
  }
  return all.result(opts)
}

const LF = 10
const CR = 13
const QUOTE = 34
const TC_PREFIX = Buffer.from('Number of samples in transaction')
const TRUE = Buffer.from('true')
const CHUNK = 1 << 22
/** Past this many distinct labels (URLs used as labels?), new ones are decoded on every row. */
const MAX_CACHED_LABELS = 10_000
const REQUIRED = ['timeStamp', 'elapsed', 'label', 'success'] as const
const DELIMITERS = [',', '\t', ';', '|']

/** Column positions of the fields this module reads, from the header row. */
interface Columns {
  count: number
  timeStamp: number
  elapsed: number
  label: number
  success: number
  responseMessage: number
  dataType: number
  url: number
}

/** Streams one JTL into a fresh accumulator. */
export async function accumulateJtl(path: string, opts: AccumulateOptions = {}): Promise<JtlAccumulator> {
  const fh = await open(path, 'r')
  try {
    const reader = new JtlReader(path, opts)
    // One byte more than is ever read, for the tokenizer's sentinel.
    let buf = Buffer.allocUnsafe(Math.max(1, opts.bufferBytes ?? CHUNK) + 1)
    let len = 0
    for (;;) {
      const { bytesRead } = await fh.read(buf, len, buf.length - 1 - len, null)
      len += bytesRead
      const eof = bytesRead === 0
      buf[len] = LF
      const used = reader.consume(buf, len, eof)
      if (eof) break
      // Keep the unfinished row; grow when one row is larger than the whole buffer.
      if (used === 0 && len === buf.length - 1) {
        const bigger = Buffer.allocUnsafe(buf.length * 2)
        buf.copy(bigger, 0, 0, len)
        buf = bigger
      } else {
        buf.copyWithin(0, used, len)
        len -= used
      }
    }
    return reader.finish()
  } finally {
    await fh.close()
  }
}

/** Row-by-row state of reading one JTL; fed buffers of whole or partial rows. */
class JtlReader {
  private readonly acc = new JtlAccumulator()
  private columns: Columns | undefined
  private delim = 44
  /** 1 for the bytes that end an unquoted field: the delimiter and LF. */
  private readonly stop = new Uint8Array(256)
  /** Line number (1-based) of the next row to read. */
  private line = 1
  private rows = 0
  private readonly from: number
  private readonly to: number
  private readonly timestampIsStart: boolean
  // Field boundaries of the current row; reused for every row.
  private starts = new Int32Array(64)
  private ends = new Int32Array(64)
  private escaped = new Uint8Array(64)
  private fieldCount = 0
  private readonly labels = new Map<number, { bytes: Buffer; name: string }[]>()
  private labelCount = 0
  /** Line breaks inside quoted fields of the current row. */
  private newlines = 0

  constructor(
    private readonly file: string,
    opts: AccumulateOptions
  ) {
    this.from = opts.from ?? -Infinity
    this.to = opts.to ?? Infinity
    this.timestampIsStart = opts.timestampIsStart ?? true
  }

  /** Reads every complete row in buf[0, len); returns how many bytes it used. */
  consume(buf: Buffer, len: number, eof: boolean): number {
    let pos = 0
    if (this.columns === undefined) {
      if (len === 0 && eof) throw this.error('JTL is empty', 'the JMeter run wrote no results; check its log')
      const nl = buf.indexOf(LF, 0)
      if (nl < 0 || nl >= len) {
        if (!eof) return 0
        this.failUnlessHeader(buf.toString('utf8', 0, len))
        throw this.error('JTL is incomplete: it ends inside the header line', 'the JMeter run was cut off; run it again', 1)
      }
      this.delim = this.detectDelimiter(buf.toString('utf8', 0, nl))
      this.stop.fill(0)
      this.stop[this.delim] = this.stop[LF] = 1
    }
    for (;;) {
      const next = this.scanRow(buf, pos, len)
      if (next < 0) {
        if (eof && pos < len) {
          throw this.error(
            `JTL is incomplete: the last row (line ${this.line}) is cut off`,
            'the JMeter run was probably stopped while writing; run it again, or delete that partial line to analyze the rest',
            this.line
          )
        }
        return pos
      }
      this.row(buf)
      this.line += 1 + this.newlines
      pos = next
    }
  }

  finish(): JtlAccumulator {
    if (this.columns === undefined) throw this.error('JTL is empty', 'the JMeter run wrote no results; check its log')
    if (this.rows === 0) throw this.error('JTL has a header but no samples', 'the test plan sampled nothing; check the JMeter log')
    return this.acc
  }

  private error(message: string, hint: string, line?: number): PeakcastError {
    return new PeakcastError(message, { file: this.file, line }, hint)
  }

  private failUnlessHeader(firstLine: string): void {
    if (firstLine.trimStart().startsWith('<')) {
      throw this.error('JTL is XML; peakcast reads CSV JTLs', 'set jmeter.save.saveservice.output_format=csv', 1)
    }
  }

  private detectDelimiter(firstLine: string): number {
    this.failUnlessHeader(firstLine)
    const names = (d: string) => firstLine.replace(/\r$/, '').split(d).map(s => s.replace(/^"|"$/g, ''))
    const d = DELIMITERS.find(c => REQUIRED.every(r => names(c).includes(r)))
    if (d === undefined) {
      const missing = REQUIRED.filter(r => !names(',').includes(r))
      throw this.error(
        `JTL header lacks ${missing.join(', ')}`,
        'write JTLs with a header (jmeter.save.saveservice.print_field_names=true) and the timestamp, time, label and success fields',
        1
      )
    }
    return d.charCodeAt(0)
  }

  /**
   * Finds the fields of the row starting at `pos`. Returns the offset after its line break,
   * or -1 when the row is not complete within buf[0, len).
   */
  private scanRow(buf: Buffer, pos: number, len: number): number {
    const delim = this.delim
    const stop = this.stop
    let i = pos
    let f = 0
    this.newlines = 0
    for (;;) {
      if (f === this.starts.length) this.growFields()
      if (i >= len) return -1
      let c = buf[i]
      if (c === QUOTE) {
        const s = ++i
        let esc = 0
        for (;;) {
          if (i >= len) return -1
          c = buf[i]
          if (c === QUOTE) {
            if (i + 1 >= len) return -1
            if (buf[i + 1] !== QUOTE) break
            esc = 1
            i += 2
            continue
          }
          if (c === LF) this.newlines++
          i++
        }
        this.starts[f] = s
        this.ends[f] = i
        this.escaped[f] = esc
        f++
        if (++i >= len) return -1
        c = buf[i]
        if (c === CR) {
          if (i + 1 >= len) return -1
          if (buf[i + 1] === LF) c = buf[++i]
        }
        if (c === delim) {
          i++
          continue
        }
        if (c === LF) {
          this.fieldCount = f
          return i + 1
        }
        throw this.error('JTL row has text after a closing quote', 'the JTL is corrupt; re-run the test', this.line + this.newlines)
      }
      const s = i
      // buf[len] holds a sentinel LF, so this tight loop needs no bounds check.
      while (stop[buf[i]] === 0) i++
      if (i >= len) return -1
      c = buf[i]
      this.starts[f] = s
      this.ends[f] = c === LF && i > s && buf[i - 1] === CR ? i - 1 : i
      this.escaped[f] = 0
      f++
      i++
      if (c === LF) {
        this.fieldCount = f
        return i
      }
    }
  }

  private growFields(): void {
    const n = this.starts.length * 2
    const grow = <T extends Int32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b)
    this.starts = grow(this.starts, new Int32Array(n))
    this.ends = grow(this.ends, new Int32Array(n))
    this.escaped = grow(this.escaped, new Uint8Array(n))
  }

  private text(buf: Buffer, f: number): string {
    const s = buf.toString('utf8', this.starts[f], this.ends[f])
    return this.escaped[f] ? s.replaceAll('""', '"') : s
  }

  /**
   * The label as a string, decoded once per distinct label: a JTL repeats a few labels
   * millions of times, and hashing the bytes is cheaper than decoding them on every row.
   */
  private label(buf: Buffer, f: number): string {
    const s = this.starts[f]
    const e = this.ends[f]
    if (this.escaped[f]) return this.text(buf, f)
    let h = 0x811c9dc5 ^ (e - s)
    for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i], 16777619)
    const bucket = this.labels.get(h)
    if (bucket !== undefined) for (const known of bucket) if (equals(buf, s, e, known.bytes)) return known.name
    const name = buf.toString('utf8', s, e)
    if (this.labelCount < MAX_CACHED_LABELS) {
      const entry = { bytes: Buffer.from(buf.subarray(s, e)), name }
      if (bucket === undefined) this.labels.set(h, [entry])
      else bucket.push(entry)
      this.labelCount++
    }
    return name
  }

  private row(buf: Buffer): void {
    const n = this.fieldCount
    if (n === 1 && this.starts[0] === this.ends[0]) return // blank line
    const cols = this.columns
    if (cols === undefined) {
      this.columns = this.header(buf, n)
      return
    }
    if (n !== cols.count) {
      throw this.error(`JTL row has ${n} fields but the header has ${cols.count}`, 'the JTL is corrupt or mixes two save configurations', this.line)
    }
    if (this.isTransaction(buf, cols)) {
      this.acc.transactionRows++
      this.rows++
      return
    }
    const elapsed = parseWhole(buf, this.starts[cols.elapsed], this.ends[cols.elapsed])
    if (elapsed < 0) {
      throw this.error(`elapsed "${this.text(buf, cols.elapsed)}" is not a whole number of milliseconds`, 'the JTL is corrupt; re-run the test', this.line)
    }
    const stamp = parseWhole(buf, this.starts[cols.timeStamp], this.ends[cols.timeStamp])
    if (stamp < 0) {
      throw this.error(
        `timeStamp "${this.text(buf, cols.timeStamp)}" is not epoch milliseconds`,
        'set jmeter.save.saveservice.timestamp_format=ms',
        this.line
      )
    }
    this.rows++
    const start = this.timestampIsStart ? stamp : stamp - elapsed
    if (start < this.from || start >= this.to) return
    this.acc.add(this.label(buf, cols.label), start, elapsed, equals(buf, this.starts[cols.success], this.ends[cols.success], TRUE))
  }

  /**
   * JMeter's own rule (report/core/Sample.isController): a Transaction Controller's parent
   * sample has a response message starting "Number of samples in transaction". Without that
   * column, fall back to its other marks: no data type and a "null" URL.
   */
  private isTransaction(buf: Buffer, cols: Columns): boolean {
    if (cols.responseMessage >= 0) {
      const s = this.starts[cols.responseMessage]
      return this.ends[cols.responseMessage] - s >= TC_PREFIX.length && buf[s] === TC_PREFIX[0] && equals(buf, s, s + TC_PREFIX.length, TC_PREFIX)
    }
    if (cols.dataType >= 0 && cols.url >= 0) {
      const u = this.starts[cols.url]
      return this.starts[cols.dataType] === this.ends[cols.dataType] && this.ends[cols.url] - u === 4 && buf.toString('latin1', u, u + 4) === 'null'
    }
    return false
  }

  private header(buf: Buffer, n: number): Columns {
    const names = Array.from({ length: n }, (_, f) => this.text(buf, f))
    const at = (name: string) => names.indexOf(name)
    return {
      count: n,
      timeStamp: at('timeStamp'),
      elapsed: at('elapsed'),
      label: at('label'),
      success: at('success'),
      responseMessage: at('responseMessage'),
      dataType: at('dataType'),
      url: at('URL')
    }
  }
}

/** Non-negative integer in buf[s, e), or -1 when the bytes are not one. */
function parseWhole(buf: Buffer, s: number, e: number): number {
  if (s === e || e - s > 15) return -1
  let v = 0
  for (let i = s; i < e; i++) {
    const d = buf[i] - 48
    if (d < 0 || d > 9) return -1
    v = v * 10 + d
  }
  return v
}

function equals(buf: Buffer, s: number, e: number, bytes: Buffer): boolean {
  if (e - s !== bytes.length) return false
  for (let i = 0; i < bytes.length; i++) if (buf[s + i] !== bytes[i]) return false
  return true
}
