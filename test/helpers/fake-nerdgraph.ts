/**
 * A loopback stand-in for New Relic NerdGraph running NRQL over hourly Transaction data. It
 * parses the NRQL it receives (SELECT count(*) | average(duration) | percentile(duration, N) |
 * filter(count(*), WHERE error IS true) FROM Transaction WHERE appName = '…' [FACET name]
 * [LIMIT n|MAX] TIMESERIES 1 hour SINCE <epoch ms> UNTIL <epoch ms>) and answers in the
 * documented shapes:
 *  - results rows {beginTimeSeconds, endTimeSeconds, facet, name, <aggregate>};
 *  - more than 366 TIMESERIES buckets → HTTP 200 with an `errors` array;
 *  - FACET without LIMIT → the top 10 facets only;
 *  - `async: true` → results, or (with `asyncPolls`) a queryProgress to poll with nrqlQueryProgress;
 *  - a missing or wrong API-Key → HTTP 401.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One hour of one endpoint, as the application saw it; latency in ms (answered in seconds). */
export interface TransactionHour {
  /** epoch ms, start of the hour */
  t: number
  endpoint: string
  requests: number
  latencyMs?: number
  p95Ms?: number
  errors?: number
}

export interface NerdGraphCall {
  headers: IncomingMessage['headers']
  query: string
  variables: Record<string, unknown>
  /** the NRQL of an nrql(...) call */
  nrql?: string
}

export interface FakeNerdGraph {
  /** http://127.0.0.1:<port>/graphql */
  url: string
  calls: NerdGraphCall[]
  /** every NRQL received, in order */
  nrqls: string[]
  /** requests that broke the NerdGraph contract (should stay empty) */
  violations: string[]
  /** answer the next `times` requests with an HTTP status */
  failNext(status: number, times?: number, body?: string): void
  /** answer the next nrql call with HTTP 200 and this message in `errors` */
  errorNext(message: string, errorClass?: string): void
  /** accept the next `times` requests and never answer them */
  hangNext(times?: number): void
  /** every nrql query first comes back unfinished and completes after this many polls */
  asyncPolls: number
  close(): Promise<void>
}

export const FAKE_ACCOUNT = 1234567
const HOUR = 3_600_000
const MAX_BUCKETS = 366
const MAX_LIMIT = 5000
/** the message the New Relic troubleshooting docs list for too many TIMESERIES buckets */
export const TOO_MANY_BUCKETS = 'TIMESERIES supports a maximum of 366 buckets.'

export async function startFakeNerdGraph(opts: { apiKey: string; appName: string; data: TransactionHour[]; accountId?: number }): Promise<FakeNerdGraph> {
  const accountId = opts.accountId ?? FAKE_ACCOUNT
  const calls: NerdGraphCall[] = []
  const nrqls: string[] = []
  const violations: string[] = []
  const failures: { status: number; body: string }[] = []
  const graphErrors: { message: string; errorClass: string }[] = []
  let hang = 0
  const pending = new Map<string, { polls: number; results: unknown[] }>()
  let nextId = 1

  const fake: FakeNerdGraph = {
    url: '',
    calls,
    nrqls,
    violations,
    asyncPolls: 0,
    failNext(status, times = 1, body = '{"error":"failure injected by the test"}') {
      for (let i = 0; i < times; i++) failures.push({ status, body })
    },
    errorNext(message, errorClass = 'INVALID_INPUT') {
      graphErrors.push({ message, errorClass })
    },
    hangNext(times = 1) {
      hang += times
    },
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res))
  })

  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
  const gqlError = (res: ServerResponse, field: string, message: string, errorClass: string) =>
    json(res, 200, {
      data: { actor: { account: { [field]: null } } },
      errors: [{ message, path: ['actor', 'account', field], extensions: { errorClass } }]
    })

  function handle(req: IncomingMessage, text: string, res: ServerResponse) {
    if (hang > 0) {
      hang--
      return // the socket stays open until the client gives up
    }
    const failure = failures.shift()
    if (failure) return res.writeHead(failure.status, { 'Content-Type': 'application/json' }).end(failure.body)
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== '/graphql') {
      violations.push(`${req.method} ${req.url}`)
      return json(res, 404, { error: 'not found' })
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) violations.push('Content-Type is not application/json')
    if (req.headers['api-key'] !== opts.apiKey) {
      return json(res, 401, { errors: [{ message: 'Unauthorized: invalid or missing API-Key' }] })
    }
    let body: { query?: string; variables?: Record<string, unknown> }
    try {
      body = JSON.parse(text)
    } catch {
      violations.push('body is not JSON')
      return json(res, 400, { errors: [{ message: 'body is not JSON' }] })
    }
    const query = body.query ?? ''
    const variables = body.variables ?? {}
    const call: NerdGraphCall = { headers: req.headers, query, variables }
    calls.push(call)
    if (!/account\(id:\s*\$accountId\)/.test(query) || variables.accountId !== accountId) {
      violations.push(`account is not $accountId = ${accountId}`)
      return gqlError(res, 'nrql', `You do not have access to account ${String(variables.accountId)}`, 'FORBIDDEN')
    }
    if (!/\bresults\b/.test(query)) violations.push('the selection does not ask for results')

    if (/nrqlQueryProgress\(queryId:\s*\$queryId\)/.test(query)) {
      const job = pending.get(String(variables.queryId))
      if (!job) return gqlError(res, 'nrqlQueryProgress', 'Unknown queryId', 'INVALID_INPUT')
      if (job.polls > 0) {
        job.polls--
        return json(res, 200, { data: { actor: { account: { nrqlQueryProgress: { results: null, queryProgress: unfinished(String(variables.queryId)) } } } } })
      }
      pending.delete(String(variables.queryId))
      return json(res, 200, { data: { actor: { account: { nrqlQueryProgress: { results: job.results, queryProgress: finished(String(variables.queryId)) } } } } })
    }

    if (!/nrql\(query:\s*\$nrql/.test(query)) {
      violations.push('neither nrql(query: $nrql) nor nrqlQueryProgress(queryId: $queryId)')
      return gqlError(res, 'nrql', 'Cannot query field', 'INVALID_INPUT')
    }
    const nrql = String(variables.nrql ?? '')
    call.nrql = nrql
    nrqls.push(nrql)
    const injected = graphErrors.shift()
    if (injected) return gqlError(res, 'nrql', injected.message, injected.errorClass)
    let results: unknown[]
    try {
      results = runNrql(nrql, opts.appName, opts.data)
    } catch (err) {
      return gqlError(res, 'nrql', (err as Error).message, 'INVALID_INPUT')
    }
    const isAsync = /async:\s*true/.test(query)
    if (isAsync && fake.asyncPolls > 0) {
      const id = `q-${nextId++}`
      pending.set(id, { polls: fake.asyncPolls - 1, results })
      return json(res, 200, { data: { actor: { account: { nrql: { results: null, queryProgress: unfinished(id) } } } } })
    }
    return json(res, 200, { data: { actor: { account: { nrql: { results, queryProgress: isAsync ? finished(null) : null } } } } })
  }

  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`
  return fake
}

function unfinished(queryId: string) {
  return { queryId, completed: false, retryAfter: 0, retryDeadline: Date.now() + 60_000, resultExpiration: Date.now() + 600_000 }
}

function finished(queryId: string | null) {
  return { queryId, completed: true, retryAfter: null, retryDeadline: null, resultExpiration: null }
}

const NRQL =
  /^SELECT\s+(.+?)\s+FROM\s+(\w+)\s+WHERE\s+appName\s*=\s*'((?:[^'\\]|\\.)*)'(?:\s+FACET\s+(\w+))?(?:\s+LIMIT\s+(\w+))?\s+TIMESERIES\s+(\d+)\s+hours?\s+SINCE\s+(\d+)\s+UNTIL\s+(\d+)\s*$/i

type Aggregate = { key: string; of: (rows: TransactionHour[]) => unknown; rank: (rows: TransactionHour[]) => number }

const sum = (rows: TransactionHour[], f: (r: TransactionHour) => number | undefined) => rows.reduce((a, r) => a + (f(r) ?? 0), 0)

function aggregate(select: string): Aggregate {
  const s = select.replace(/\s+/g, ' ').trim()
  if (/^count\(\*\)$/i.test(s)) return { key: 'count', of: rows => sum(rows, r => r.requests), rank: rows => sum(rows, r => r.requests) }
  if (/^average\(duration\)$/i.test(s)) {
    const of = (rows: TransactionHour[]) => {
      const n = sum(rows, r => (r.latencyMs !== undefined ? r.requests : 0))
      return n > 0 ? sum(rows, r => (r.latencyMs !== undefined ? (r.requests * r.latencyMs) / 1000 : 0)) / n : null
    }
    return { key: 'average.duration', of, rank: rows => Number(of(rows) ?? 0) }
  }
  const pct = /^percentile\(duration, ?(\d+)\)$/i.exec(s)
  if (pct) {
    // one row per hour and endpoint: the hour's own p95 is the bucket's percentile
    const of = (rows: TransactionHour[]) => {
      const known = rows.filter(r => r.p95Ms !== undefined && r.requests > 0)
      return { [pct[1]]: known.length > 0 ? Math.max(...known.map(r => r.p95Ms!)) / 1000 : null }
    }
    return { key: 'percentile.duration', of, rank: rows => sum(rows, r => r.p95Ms) }
  }
  if (/^filter\(count\(\*\), ?WHERE error IS true\)$/i.test(s)) return { key: 'filter.count', of: rows => sum(rows, r => r.errors), rank: rows => sum(rows, r => r.errors) }
  throw new Error(`NRQL Syntax Error: unsupported function in '${s}'`)
}

/** Evaluates the NRQL forms peakcast sends, with NRDB's limits. */
function runNrql(nrql: string, appName: string, data: TransactionHour[]): unknown[] {
  const m = NRQL.exec(nrql.trim())
  if (!m) throw new Error(`NRQL Syntax Error: Error at line 1, the fake cannot parse '${nrql}'`)
  const [, select, eventType, app, facet, limitText, stepHours, sinceText, untilText] = m
  const agg = aggregate(select)
  if (eventType !== 'Transaction') throw new Error(`NRQL Syntax Error: unknown event type ${eventType}`)
  if (stepHours !== '1') throw new Error('the fake only answers TIMESERIES 1 hour')
  if (facet !== undefined && facet !== 'name') throw new Error(`the fake only facets by name, got ${facet}`)
  const since = Number(sinceText)
  const until = Number(untilText)
  if (!(until > since)) throw new Error("Your query's start time must be before its end time.")
  const buckets = Math.ceil((until - since) / HOUR)
  if (buckets > MAX_BUCKETS) throw new Error(TOO_MANY_BUCKETS)
  const limit = limitText === undefined ? 10 : /^max$/i.test(limitText) ? MAX_LIMIT : Number(limitText)

  const rows = data.filter(r => r.t >= since && r.t < until && app.replace(/\\(.)/g, '$1') === appName)
  const at = (t: number, rs: TransactionHour[]) => rs.filter(r => r.t === t)
  const bucketStarts = Array.from({ length: buckets }, (_, i) => since + i * HOUR)
  const base = (t: number) => ({ beginTimeSeconds: t / 1000, endTimeSeconds: (t + HOUR) / 1000 })
  if (facet === undefined) return bucketStarts.map(t => ({ ...base(t), [agg.key]: agg.of(at(t, rows)) }))

  // the top `limit` facets over the whole window, as NRDB picks them
  const names = [...new Set(rows.map(r => r.endpoint))]
  const ranked = names
    .map(name => ({ name, score: agg.rank(rows.filter(r => r.endpoint === name)) }))
    .sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : 1))
    .slice(0, limit)
  return ranked.flatMap(({ name }) => {
    const mine = rows.filter(r => r.endpoint === name)
    return bucketStarts.map(t => ({ ...base(t), facet: name, name, [agg.key]: agg.of(at(t, mine)) }))
  })
}
