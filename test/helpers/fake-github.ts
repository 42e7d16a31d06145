/**
 * A fake GitHub REST API for tests: a real HTTP server whose every request is routed and
 * validated by openapi-backend against GitHub's official OpenAPI description
 * (@octokit/openapi). Requests the description does not allow — unknown routes, missing or
 * mistyped parameters, bodies that break the schema — are answered 4xx and recorded in
 * `violations`; tests assert it stays empty. The operations Peakcast uses have a small
 * in-memory implementation; their answers are completed to the response schema (every
 * required field filled) and checked against it too, so the fake cannot drift into answers
 * Octokit would never see.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { OpenAPIBackend, type Context, type Document, type Operation } from 'openapi-backend'

export interface FakePull {
  number: number
  state: 'open' | 'closed'
  title: string
  body: string | null
  head: string
  base: string
  headSha: string
  labels: string[]
  reviewers: string[]
  merged: boolean
  mergeCommitSha: string | null
}

export interface FakeComment {
  id: number
  issueNumber: number
  body: string
  user: string
}

export interface FakeAnnotation {
  path: string
  start_line: number
  end_line: number
  annotation_level: string
  message: string
  title?: string
}

export interface FakeCheckRun {
  id: number
  name: string
  headSha: string
  status: string
  conclusion: string | null
  output: { title?: string; summary?: string; text?: string; annotations: FakeAnnotation[] }
}

export interface FakeState {
  owner: string
  repo: string
  defaultBranch: string
  pulls: FakePull[]
  comments: FakeComment[]
  checkRuns: FakeCheckRun[]
  nextId: number
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string | string[]>
  headers: Record<string, string | string[] | undefined>
  body: string
  operationId?: string
  status?: number
}

export interface FaultMatch {
  method?: string
  operationId?: string
  /** matched against the path without query string */
  path?: string | RegExp
}

export interface FaultResponse {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

export interface FakeGitHubOptions {
  owner?: string
  repo?: string
  defaultBranch?: string
  /** a bare repository: branch SHAs for pull requests are read from it, as GitHub would */
  gitDir?: string
}

export interface FakeGitHub {
  url: string
  state: FakeState
  requests: RecordedRequest[]
  violations: string[]
  /** answer the next `times` matching requests (Infinity: all of them) with `response` */
  injectFault(match: FaultMatch, response: FaultResponse, times?: number): void
  /** drop every fault not yet used up */
  clearFaults(): void
  stop(): Promise<void>
}

const FIXED_TIME = '2026-01-01T00:00:00Z'
const BOT = 'github-actions[bot]'

/** The operations the fake implements; any other valid GitHub request is answered 501 and recorded. */
const OPERATIONS = [
  'repos/get',
  'pulls/list',
  'pulls/create',
  'pulls/get',
  'pulls/update',
  'pulls/request-reviewers',
  'issues/add-labels',
  'issues/list-comments',
  'issues/create-comment',
  'issues/update-comment',
  'checks/create',
  'checks/update',
  'checks/list-for-ref',
  'repos/list-pull-requests-associated-with-commit'
] as const
type OperationId = (typeof OPERATIONS)[number]
type Outcome = OperationId | 'notFound' | 'methodNotAllowed' | 'validationFail' | 'notImplemented'
type C = Context<Record<string, unknown>, Record<string, string | number>, Record<string, string | number | string[]>>
/** how one server answers: openapi-backend passes it to the handlers as an extra argument */
type Dispatch = (outcome: Outcome, c: C) => Answer

// Loading and compiling GitHub's description costs ~1 s; every fake server in a process shares one backend.
let sharedBackend: Promise<OpenAPIBackend> | undefined
function githubBackend(): Promise<OpenAPIBackend> {
  sharedBackend ??= (async () => {
    const require = createRequire(import.meta.url)
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json')
    const backend = new OpenAPIBackend({
      definition: JSON.parse(readFileSync(file, 'utf8')) as Document,
      quick: true,
      coerceTypes: true,
      // formats (uri, date-time, …) are not what the fake checks; skipping them also keeps ajv quiet
      ajvOpts: { validateFormats: false, strict: false, logger: false }
    })
    const via = (outcome: Outcome) => (c: C, dispatch: Dispatch) => dispatch(outcome, c)
    backend.register({
      notFound: via('notFound'),
      methodNotAllowed: via('methodNotAllowed'),
      validationFail: via('validationFail'),
      notImplemented: via('notImplemented'),
      ...Object.fromEntries(OPERATIONS.map(id => [id, via(id)]))
    })
    await backend.init()
    return backend
  })()
  return sharedBackend
}

type Schema = {
  type?: string | string[]
  nullable?: boolean
  required?: string[]
  properties?: Record<string, Schema>
  items?: Schema
  enum?: unknown[]
  format?: string
  oneOf?: Schema[]
  anyOf?: Schema[]
  allOf?: Schema[]
  minimum?: number
}

/**
 * A value for `schema` that keeps every field of `given` and fills each other required field
 * with a plain placeholder (null where allowed), so answers satisfy the response schema.
 */
export function fillRequired(schema: Schema | undefined, given?: unknown, depth = 0): unknown {
  if (!schema || depth > 20) return given ?? null
  if (schema.allOf) {
    const merged: Schema = { type: 'object', required: [], properties: {} }
    for (const s of schema.allOf) {
      merged.required!.push(...(s.required ?? []))
      Object.assign(merged.properties!, s.properties ?? {})
    }
    return fillRequired(merged, given, depth)
  }
  const alternatives = schema.oneOf ?? schema.anyOf
  if (alternatives) {
    const wantObject = typeof given === 'object' && given !== null && !Array.isArray(given)
    const pick = alternatives.find(a => (wantObject ? a.type === 'object' || a.properties : true)) ?? alternatives[0]
    return fillRequired(pick, given, depth)
  }
  const type = Array.isArray(schema.type) ? schema.type.find(t => t !== 'null') : schema.type
  if (given === undefined && (schema.nullable || (Array.isArray(schema.type) && schema.type.includes('null')))) return null
  if (type === 'array') {
    return Array.isArray(given) ? given.map(item => fillRequired(schema.items, item, depth + 1)) : []
  }
  if (type === 'object' || schema.properties) {
    const src = (typeof given === 'object' && given !== null ? given : {}) as Record<string, unknown>
    const out: Record<string, unknown> = {}
    const keys = new Set([...(schema.required ?? []), ...Object.keys(src)])
    for (const k of keys) out[k] = fillRequired(schema.properties?.[k], src[k], depth + 1)
    return out
  }
  if (given !== undefined) return given
  if (schema.enum) return schema.enum[0]
  switch (type) {
    case 'string':
      if (schema.format === 'date-time') return FIXED_TIME
      if (schema.format === 'uri') return 'https://github.test/placeholder'
      if (schema.format === 'email') return 'bot@users.noreply.github.test'
      return ''
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 1)
    case 'boolean':
      return false
    default:
      return null
  }
}

function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex')
}

interface Answer {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

function validationFailed(message: string): Answer {
  return {
    status: 422,
    body: {
      message: 'Validation Failed',
      errors: [{ resource: 'PullRequest', code: 'custom', message }],
      documentation_url: 'https://docs.github.com/rest',
      status: '422'
    }
  }
}

const notFound: Answer = { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' } }

export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const state: FakeState = {
    owner: opts.owner ?? 'acme',
    repo: opts.repo ?? 'gitops',
    defaultBranch: opts.defaultBranch ?? 'main',
    pulls: [],
    comments: [],
    checkRuns: [],
    nextId: 1000
  }
  const requests: RecordedRequest[] = []
  const violations: string[] = []
  const faults: { match: FaultMatch; response: FaultResponse; left: number }[] = []
  let baseUrl = ''

  const html = (path: string) => `https://github.test/${state.owner}/${state.repo}/${path}`
  const api = (path: string) => `${baseUrl}/repos/${state.owner}/${state.repo}/${path}`
  const user = (login: string) => ({ login, id: 1, node_id: 'U_1', type: login.endsWith('[bot]') ? 'Bot' : 'User' })
  const repoJson = () => ({
    id: 1,
    node_id: 'R_1',
    name: state.repo,
    full_name: `${state.owner}/${state.repo}`,
    owner: user(state.owner),
    private: true,
    html_url: `https://github.test/${state.owner}/${state.repo}`,
    url: `${baseUrl}/repos/${state.owner}/${state.repo}`,
    default_branch: state.defaultBranch
  })

  function branchSha(branch: string): string | null {
    if (!opts.gitDir) return fakeSha(`${branch}`)
    try {
      return execFileSync('git', ['--git-dir', opts.gitDir, 'rev-parse', '--verify', '-q', `refs/heads/${branch}`], {
        encoding: 'utf8'
      }).trim()
    } catch {
      return null
    }
  }

  function pullJson(p: FakePull) {
    const ref = (branch: string, sha: string) => ({ label: `${state.owner}:${branch}`, ref: branch, sha, repo: repoJson(), user: user(state.owner) })
    return {
      id: p.number,
      node_id: `PR_${p.number}`,
      number: p.number,
      state: p.state,
      title: p.title,
      body: p.body,
      url: api(`pulls/${p.number}`),
      html_url: html(`pull/${p.number}`),
      head: ref(p.head, p.headSha),
      base: ref(p.base, branchSha(p.base) ?? fakeSha(p.base)),
      labels: p.labels.map((name, i) => ({ id: i + 1, node_id: `L_${i}`, name, url: api(`labels/${name}`), color: 'ededed', default: false, description: '' })),
      requested_reviewers: p.reviewers.map(user),
      merged: p.merged,
      merged_at: p.merged ? FIXED_TIME : null,
      closed_at: p.state === 'closed' ? FIXED_TIME : null,
      merge_commit_sha: p.mergeCommitSha,
      draft: false,
      user: user(BOT)
    }
  }

  function commentJson(c: FakeComment) {
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      body: c.body,
      user: user(c.user),
      url: api(`issues/comments/${c.id}`),
      html_url: html(`pull/${c.issueNumber}#issuecomment-${c.id}`),
      issue_url: api(`issues/${c.issueNumber}`),
      author_association: 'NONE'
    }
  }

  function checkRunJson(r: FakeCheckRun) {
    return {
      id: r.id,
      node_id: `CR_${r.id}`,
      name: r.name,
      head_sha: r.headSha,
      status: r.status,
      conclusion: r.conclusion,
      url: api(`check-runs/${r.id}`),
      html_url: html(`runs/${r.id}`),
      details_url: html(`runs/${r.id}`),
      output: {
        title: r.output.title ?? null,
        summary: r.output.summary ?? null,
        text: r.output.text ?? null,
        annotations_count: r.output.annotations.length,
        annotations_url: api(`check-runs/${r.id}/annotations`)
      },
      pull_requests: []
    }
  }

  const ownRepo = (c: C) => c.request.params.owner === state.owner && c.request.params.repo === state.repo
  const findPull = (n: unknown) => state.pulls.find(p => p.number === Number(n))

  const handlers: Record<OperationId, (c: C) => Answer> = {
    'repos/get': () => ({ status: 200, body: repoJson() }),
    'pulls/list': c => {
      const q = c.request.query
      const st = (q.state as string) ?? 'open'
      const list = state.pulls
        .filter(p => st === 'all' || p.state === st)
        .filter(p => !q.head || `${state.owner}:${p.head}` === q.head || p.head === q.head)
        .filter(p => !q.base || p.base === q.base)
        .sort((a, b) => b.number - a.number)
      return { status: 200, body: list.map(pullJson) }
    },
    'pulls/create': c => {
      const b = c.request.requestBody as { title?: string; head: string; base: string; body?: string }
      const head = b.head.includes(':') ? b.head.split(':')[1] : b.head
      if (state.pulls.some(p => p.state === 'open' && p.head === head && p.base === b.base)) {
        return validationFailed(`A pull request already exists for ${state.owner}:${head}.`)
      }
      const headSha = branchSha(head)
      if (!headSha) return validationFailed(`Head sha can't be blank; branch ${head} does not exist`)
      if (opts.gitDir && headSha === branchSha(b.base)) return validationFailed(`No commits between ${b.base} and ${head}`)
      const pull: FakePull = {
        number: state.pulls.length + 1,
        state: 'open',
        title: b.title ?? head,
        body: b.body ?? null,
        head,
        base: b.base,
        headSha,
        labels: [],
        reviewers: [],
        merged: false,
        mergeCommitSha: null
      }
      state.pulls.push(pull)
      return { status: 201, body: pullJson(pull) }
    },
    'pulls/get': c => {
      const p = findPull(c.request.params.pull_number)
      return p ? { status: 200, body: pullJson(p) } : notFound
    },
    'pulls/update': c => {
      const p = findPull(c.request.params.pull_number)
      if (!p) return notFound
      const b = c.request.requestBody as { title?: string; body?: string; state?: 'open' | 'closed'; base?: string }
      if (b.title !== undefined) p.title = b.title
      if (b.body !== undefined) p.body = b.body
      if (b.base !== undefined) p.base = b.base
      if (b.state !== undefined) p.state = b.state
      p.headSha = branchSha(p.head) ?? p.headSha
      return { status: 200, body: pullJson(p) }
    },
    'pulls/request-reviewers': c => {
      const p = findPull(c.request.params.pull_number)
      if (!p) return notFound
      const b = c.request.requestBody as { reviewers?: string[] }
      for (const r of b.reviewers ?? []) if (!p.reviewers.includes(r)) p.reviewers.push(r)
      return { status: 201, body: pullJson(p) }
    },
    'issues/add-labels': c => {
      const p = findPull(c.request.params.issue_number)
      if (!p) return notFound
      const b = c.request.requestBody as { labels?: (string | { name: string })[] } | string[]
      const names = (Array.isArray(b) ? b : (b.labels ?? [])).map(l => (typeof l === 'string' ? l : l.name))
      for (const n of names) if (!p.labels.includes(n)) p.labels.push(n)
      return { status: 200, body: pullJson(p).labels }
    },
    'issues/list-comments': c => {
      const n = Number(c.request.params.issue_number)
      if (!findPull(n)) return notFound
      const perPage = Number(c.request.query.per_page ?? 30)
      const page = Number(c.request.query.page ?? 1)
      const all = state.comments.filter(x => x.issueNumber === n)
      const slice = all.slice((page - 1) * perPage, page * perPage)
      const headers: Record<string, string> = {}
      if (page * perPage < all.length) {
        headers.link = `<${api(`issues/${n}/comments`)}?per_page=${perPage}&page=${page + 1}>; rel="next"`
      }
      return { status: 200, body: slice.map(commentJson), headers }
    },
    'issues/create-comment': c => {
      const n = Number(c.request.params.issue_number)
      if (!findPull(n)) return notFound
      const comment: FakeComment = { id: state.nextId++, issueNumber: n, body: String(c.request.requestBody.body), user: BOT }
      state.comments.push(comment)
      return { status: 201, body: commentJson(comment) }
    },
    'issues/update-comment': c => {
      const comment = state.comments.find(x => x.id === Number(c.request.params.comment_id))
      if (!comment) return notFound
      comment.body = String(c.request.requestBody.body)
      return { status: 200, body: commentJson(comment) }
    },
    'checks/create': c => {
      const b = c.request.requestBody as { name: string; head_sha: string; status?: string; conclusion?: string; output?: FakeCheckRun['output'] }
      const run: FakeCheckRun = {
        id: state.nextId++,
        name: b.name,
        headSha: b.head_sha,
        status: b.conclusion ? 'completed' : (b.status ?? 'queued'),
        conclusion: b.conclusion ?? null,
        output: { ...b.output, annotations: [...(b.output?.annotations ?? [])] }
      }
      state.checkRuns.push(run)
      return { status: 201, body: checkRunJson(run) }
    },
    'checks/update': c => {
      const run = state.checkRuns.find(r => r.id === Number(c.request.params.check_run_id))
      if (!run) return notFound
      const b = c.request.requestBody as { status?: string; conclusion?: string; output?: FakeCheckRun['output'] }
      if (b.status) run.status = b.status
      if (b.conclusion) {
        run.conclusion = b.conclusion
        run.status = 'completed'
      }
      if (b.output) {
        // GitHub appends annotations across updates; the other output fields are replaced
        const annotations = [...run.output.annotations, ...(b.output.annotations ?? [])]
        run.output = { ...run.output, ...b.output, annotations }
      }
      return { status: 200, body: checkRunJson(run) }
    },
    'checks/list-for-ref': c => {
      const ref = String(c.request.params.ref)
      const sha = /^[0-9a-f]{40}$/.test(ref) ? ref : branchSha(ref)
      const runs = state.checkRuns.filter(r => r.headSha === sha && (!c.request.query.check_name || r.name === c.request.query.check_name))
      return { status: 200, body: { total_count: runs.length, check_runs: runs.map(checkRunJson) } }
    },
    'repos/list-pull-requests-associated-with-commit': c => {
      const sha = String(c.request.params.commit_sha)
      const pulls = state.pulls.filter(p => p.mergeCommitSha === sha || p.headSha === sha)
      return { status: 200, body: pulls.map(pullJson) }
    }
  }
  const backend = await githubBackend()
  const dispatch: Dispatch = (outcome, c) => {
    switch (outcome) {
      case 'notFound':
      case 'methodNotAllowed':
        violations.push(`unknown route: ${c.request.method.toUpperCase()} ${c.request.path}`)
        return notFound
      case 'validationFail': {
        const detail = (c.validation.errors ?? []).map(e => `${e.instancePath} ${e.message}`).join('; ')
        violations.push(`invalid request ${c.operation.operationId}: ${detail}`)
        return { status: 422, body: { message: `Invalid request.\n\n${detail}`, documentation_url: 'https://docs.github.com/rest', status: '422' } }
      }
      case 'notImplemented':
        violations.push(`not implemented by the fake: ${c.operation.operationId}`)
        return { status: 501, body: { message: 'Not implemented by fake', documentation_url: 'https://docs.github.com/rest', status: '501' } }
      default:
        return ownRepo(c) ? handlers[outcome](c) : notFound
    }
  }

  function completeAnswer(op: Operation | undefined, answer: Answer): unknown {
    if (answer.body === undefined || !op) return answer.body
    const res = op.responses?.[String(answer.status)] as { content?: Record<string, { schema?: Schema }> } | undefined
    const schema = res?.content?.['application/json']?.schema
    if (!schema) return answer.body
    const body = fillRequired(schema, answer.body)
    const check = backend.validateResponse(body, op, answer.status)
    if (check.errors?.length) {
      violations.push(`fake answered ${op.operationId} ${answer.status} off-schema: ${check.errors.map(e => `${e.instancePath} ${e.message}`).join('; ')}`)
    }
    return body
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://fake.test')
    const query: Record<string, string | string[]> = {}
    for (const [k, v] of url.searchParams) {
      const prev = query[k]
      query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v]
    }
    const method = (req.method ?? 'GET').toUpperCase()
    const recorded: RecordedRequest = { method, path: url.pathname, query, headers: { ...req.headers }, body: raw }
    requests.push(recorded)

    let body: unknown = undefined
    if (raw) {
      try {
        body = JSON.parse(raw)
      } catch {
        violations.push(`body is not JSON: ${method} ${url.pathname}`)
        return send(res, recorded, { status: 400, body: { message: 'Problems parsing JSON' } })
      }
    }
    const request = { method, path: url.pathname, query, body, headers: req.headers as Record<string, string> }
    let op: Operation | undefined
    try {
      op = backend.router.matchOperation(request, true) as Operation
      recorded.operationId = op.operationId
    } catch {
      op = undefined
    }

    const fault = faults.find(
      f =>
        f.left > 0 &&
        (!f.match.method || f.match.method.toUpperCase() === method) &&
        (!f.match.operationId || f.match.operationId === op?.operationId) &&
        (!f.match.path || (typeof f.match.path === 'string' ? f.match.path === url.pathname : f.match.path.test(url.pathname)))
    )
    if (fault) {
      fault.left -= 1
      return send(res, recorded, { status: fault.response.status, headers: fault.response.headers, body: fault.response.body ?? { message: `injected ${fault.response.status}` } })
    }
    if (!req.headers.authorization) {
      violations.push(`no Authorization header: ${method} ${url.pathname}`)
      return send(res, recorded, { status: 401, body: { message: 'Requires authentication' } })
    }
    const answer = (await backend.handleRequest(request, dispatch)) as Answer
    send(res, recorded, { ...answer, body: completeAnswer(op, answer) })
  }

  function send(res: ServerResponse, recorded: RecordedRequest, answer: Answer): void {
    recorded.status = answer.status
    const payload = answer.body === undefined ? '' : JSON.stringify(answer.body)
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-request-id': `FAKE:${requests.length}`,
      ...answer.headers
    })
    res.end(payload)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(err => {
      violations.push(`fake crashed: ${(err as Error).stack ?? String(err)}`)
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ message: 'fake crashed' }))
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: baseUrl,
    state,
    requests,
    violations,
    injectFault(match, response, times = 1) {
      faults.push({ match, response, left: times })
    },
    clearFaults() {
      faults.length = 0
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close(err => (err ? reject(err) : resolve()))
      })
  }
}
