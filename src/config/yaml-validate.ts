/**
 * The one way Peakcast reads a human-edited YAML file: parse with source positions, validate
 * against a JSON Schema, and report EVERY problem as `file:line field: message (expected …)`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import { PeakcastError, formatPlace, type Place } from '../util/errors.js'

export type YamlPath = (string | number)[]

export interface Problem extends Place {
  file: string
  field: string
  message: string
  /** what would have been accepted */
  expected?: string
}

/** Bad YAML or schema violations; `problems` lists each one with its own place. */
export class YamlValidationError extends PeakcastError {
  readonly problems: Problem[]

  constructor(file: string, unsorted: Problem[]) {
    const problems = [...unsorted].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || cmp(a.field, b.field) || cmp(a.message, b.message))
    const [first] = problems
    if (problems.length === 1) {
      super(first.message, { file, line: first.line, field: first.field || undefined }, first.expected && `expected ${first.expected}`)
    } else {
      super(`${problems.length} problems:\n${problems.map(p => `  ${formatProblem(p)}`).join('\n')}`, { file })
    }
    this.problems = problems
  }
}

export function formatProblem(p: Problem): string {
  const where = formatPlace({ file: p.file, line: p.line, field: p.field || undefined })
  return `${where}: ${p.message}${p.expected ? ` (expected ${p.expected})` : ''}`
}

/** "services[0].telemetry.type": how fields are named in every message. */
export function fieldName(path: YamlPath): string {
  return path.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`)).join('')
}

/** A parsed YAML file that still knows where each value came from. */
export interface YamlSource<T> {
  file: string
  value: T
  /** 1-based line of the value at `path`, or of its nearest ancestor that exists */
  lineOf(path: YamlPath): number
}

/** Parses YAML; syntax errors (all of them) throw with file:line:col. */
export function parseYamlSource(text: string, file: string): YamlSource<unknown> {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const problems = doc.errors.map(e => {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0])
      return {
        file,
        line: pos.line,
        field: '',
        message: `YAML syntax error at ${pos.line}:${pos.col}: ${firstLine(e.message)}`
      }
    })
    throw new YamlValidationError(file, problems)
  }
  const value: unknown = doc.toJS({ maxAliasCount: 1000 })
  return { file, value, lineOf: path => lineOfPath(doc, lineCounter, path) }
}

/** Validates an already parsed file against `schema`; returns the typed value or throws every problem. */
export function validateSource<T>(source: YamlSource<unknown>, schema: object): YamlSource<T> {
  const validate = compiled(schema)
  if (!validate(source.value)) {
    throw new YamlValidationError(source.file, dedupe((validate.errors ?? []).map(e => toProblem(e, source))))
  }
  return source as YamlSource<T>
}

/** parse + validate: the function every YAML reader (peakcast.yaml, slo.yaml, workloads) uses. */
export function parseYamlValidated<T>(text: string, file: string, schema: object): T {
  return validateSource<T>(parseYamlSource(text, file), schema).value
}

// ---- schema compilation ---------------------------------------------------------------

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true, discriminator: true })
const cache = new WeakMap<object, ValidateFunction>()

function compiled(schema: object): ValidateFunction {
  let fn = cache.get(schema)
  if (!fn) {
    fn = ajv.compile(schema)
    cache.set(schema, fn)
  }
  return fn
}

// ---- ajv error → Problem ---------------------------------------------------------------

interface SchemaLike {
  properties?: Record<string, SchemaLike>
  description?: string
  type?: string | string[]
  oneOf?: SchemaLike[]
  const?: unknown
}

function toProblem(e: ErrorObject, source: YamlSource<unknown>): Problem {
  const path = instancePath(e.instancePath, source.value)
  const parent = (e.parentSchema ?? {}) as SchemaLike
  const base = { file: source.file }
  const at = (p: YamlPath) => ({ ...base, line: source.lineOf(p), field: fieldName(p) })
  const params = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty)
      const allowed = Object.keys(parent.properties ?? {})
      return { ...at([...path, key]), message: `unknown key "${key}"`, expected: `one of: ${allowed.join(', ')}` }
    }
    case 'required': {
      const key = String(params.missingProperty)
      const prop = parent.properties?.[key]
      return {
        ...at(path),
        field: fieldName([...path, key]),
        message: `missing required key "${key}"`,
        expected: prop ? describeSchema(prop) : undefined
      }
    }
    case 'type':
      return { ...at(path), message: `wrong type: got ${describeValue(e.data)}`, expected: typeList(params.type) }
    case 'enum':
      return {
        ...at(path),
        message: `${describeValue(e.data)} is not allowed`,
        expected: `one of: ${(params.allowedValues as unknown[]).map(v => JSON.stringify(v)).join(', ')}`
      }
    case 'const':
      return { ...at(path), message: `${describeValue(e.data)} is not allowed`, expected: JSON.stringify(params.allowedValue) }
    case 'pattern':
    case 'format':
      return { ...at(path), message: `${describeValue(e.data)} is not valid`, expected: parent.description ?? e.message }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { ...at(path), message: `${describeValue(e.data)} is out of range`, expected: `a number ${params.comparison} ${params.limit}` }
    case 'minItems':
      return { ...at(path), message: 'has too few items', expected: `at least ${params.limit}` }
    case 'minLength':
      return { ...at(path), message: 'is too short', expected: `at least ${params.limit} character(s)` }
    case 'discriminator': {
      const tag = String(params.tag)
      const values = (parent.oneOf ?? []).map(s => s.properties?.[tag]?.const).filter(v => v !== undefined)
      return {
        ...at([...path, tag]),
        message: params.error === 'tag' ? `"${tag}" must be a string` : `unknown ${tag} ${JSON.stringify(params.tagValue)}`,
        expected: `one of: ${values.map(v => JSON.stringify(v)).join(', ')}`
      }
    }
    default:
      return { ...at(path), message: e.message ?? `fails "${e.keyword}"` }
  }
}

/** "/services/0/headroom" → ['services', 0, 'headroom'] (numbers where the data is an array) */
function instancePath(pointer: string, root: unknown): YamlPath {
  if (pointer === '') return []
  const out: YamlPath = []
  let node: unknown = root
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(node)) {
      out.push(Number(seg))
      node = node[Number(seg)]
    } else {
      out.push(seg)
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined
    }
  }
  return out
}

function describeSchema(s: SchemaLike): string | undefined {
  return s.description ?? (s.type ? typeList(s.type) : undefined)
}

function typeList(t: unknown): string {
  return Array.isArray(t) ? t.join(' or ') : String(t)
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  const text = JSON.stringify(v)
  return `${typeof v} ${text.length > 60 ? `${text.slice(0, 57)}…` : text}`
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>()
  return problems.filter(p => {
    const key = formatProblem(p)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim()
}

// ---- positions ---------------------------------------------------------------------------

function lineOfPath(doc: Document, lc: LineCounter, path: YamlPath): number {
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : lc.linePos(offset).line)
  let node: Node | null | undefined = doc.contents
  let line = lineAt(node?.range?.[0]) ?? 1
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(p => isScalar(p.key) && String(p.key.value) === String(seg))
      if (!pair) return line
      // the key's line: a block mapping's value starts a line later, an empty value has no node
      line = lineAt((pair.key as Node).range?.[0]) ?? line
      node = pair.value as Node | null
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined
      if (!item) return line
      node = item
      line = lineAt(item.range?.[0]) ?? line
    } else {
      return line
    }
  }
  return line
}
