/**
 * Where the action runs, from the environment the GitHub runner sets: repository, commit,
 * event, API and server URLs, run id. Our own reader instead of @actions/github's `context`,
 * which reads process.env once at import time; commands get their env from CommandContext.
 */
import { readFileSync } from 'node:fs'
import { PeakcastError } from '../util/errors.js'

export interface GitHubRunContext {
  owner: string
  repo: string
  /** GITHUB_SHA: for a push, the commit the branch now points at (the merge commit) */
  sha: string
  eventName: string
  /** the webhook payload at GITHUB_EVENT_PATH ({} when absent) */
  event: Record<string, unknown>
  /** REST API root, e.g. https://api.github.com (GHES: https://host/api/v3) */
  apiUrl: string
  serverUrl: string
  /** GITHUB_RUN_ID; the same for every attempt of a re-run */
  runId?: string
  runAttempt?: number
  /** the workflow run page, where artifacts such as the JMeter dashboard are listed */
  runUrl?: string
  /** the repository's default branch, from the event (default "main") */
  defaultBranch: string
  /** a push event's `before` commit; undefined for other events and for a new branch (all zeros) */
  before?: string
}

/** Undefined when not on a runner (no GITHUB_REPOSITORY): callers then skip GitHub reporting. */
export function githubContext(env: NodeJS.ProcessEnv, readFile: (path: string) => string = p => readFileSync(p, 'utf8')): GitHubRunContext | undefined {
  const repository = env.GITHUB_REPOSITORY
  if (!repository) return undefined
  const [owner, repo, ...rest] = repository.split('/')
  if (!owner || !repo || rest.length > 0) {
    throw new PeakcastError(`GITHUB_REPOSITORY "${repository}" is not owner/name`, { field: 'GITHUB_REPOSITORY' })
  }
  const sha = env.GITHUB_SHA ?? ''
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new PeakcastError(`GITHUB_SHA "${sha}" is not a commit id`, { field: 'GITHUB_SHA' })

  const event = readEvent(env.GITHUB_EVENT_PATH, readFile)
  const serverUrl = trimSlash(env.GITHUB_SERVER_URL || 'https://github.com')
  const runId = env.GITHUB_RUN_ID || undefined
  const attempt = Number(env.GITHUB_RUN_ATTEMPT)
  const repoJson = isObject(event.repository) ? event.repository : {}
  const before = typeof event.before === 'string' && /^[0-9a-f]{40}$/.test(event.before) && !/^0+$/.test(event.before) ? event.before : undefined
  return {
    owner,
    repo,
    sha,
    eventName: env.GITHUB_EVENT_NAME ?? '',
    event,
    apiUrl: trimSlash(env.GITHUB_API_URL || 'https://api.github.com'),
    serverUrl,
    ...(runId ? { runId, runUrl: `${serverUrl}/${owner}/${repo}/actions/runs/${runId}` } : {}),
    ...(Number.isInteger(attempt) && attempt > 0 ? { runAttempt: attempt } : {}),
    defaultBranch: typeof repoJson.default_branch === 'string' ? repoJson.default_branch : 'main',
    ...(before ? { before } : {})
  }
}

function readEvent(path: string | undefined, readFile: (path: string) => string): Record<string, unknown> {
  if (!path) return {}
  let text: string
  try {
    text = readFile(path)
  } catch (err) {
    throw new PeakcastError(`cannot read the event payload: ${(err as Error).message}`, { file: path, field: 'GITHUB_EVENT_PATH' })
  }
  try {
    const value: unknown = JSON.parse(text)
    return isObject(value) ? value : {}
  } catch (err) {
    throw new PeakcastError(`the event payload is not JSON: ${(err as Error).message}`, { file: path, field: 'GITHUB_EVENT_PATH' })
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '')
}
