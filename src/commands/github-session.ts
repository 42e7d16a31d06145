/**
 * What the GitOps commands need to talk to GitHub from a runner: where they run (repository,
 * event, API URL), an Octokit with retries and throttling, and git on the checkout with the
 * token as an auth header. Undefined off a runner or without a token: callers then work locally.
 */
import { githubContext, type GitHubRunContext } from '../github/context.js'
import { Git } from '../github/git.js'
import { createOctokit, type GitHubClient } from '../github/octokit.js'
import type { CommandContext } from './context.js'

export interface GitHubSession {
  gh: GitHubRunContext
  octokit: GitHubClient
  git: Git
}

/**
 * PEAKCAST_GITHUB_RETRY_BASE_MS (default 1000: one second of retry-after / back-off) and
 * PEAKCAST_GITHUB_WRITE_INTERVAL_MS (default 1000, GitHub's advice against secondary rate
 * limits) exist so tests against a local fake do not sleep; leave them unset on GitHub.
 */
export function openGitHubSession(token: string, ctx: CommandContext): GitHubSession | undefined {
  const gh = githubContext(ctx.env)
  if (!gh || !token) return undefined
  const octokit = createOctokit(token, {
    baseUrl: gh.apiUrl,
    log: ctx.log,
    retryAfterBaseMs: envMs(ctx.env, 'PEAKCAST_GITHUB_RETRY_BASE_MS', 1000),
    writeIntervalMs: envMs(ctx.env, 'PEAKCAST_GITHUB_WRITE_INTERVAL_MS', 1000)
  })
  const git = new Git(ctx.cwd, ctx.log, { token, serverUrl: gh.serverUrl })
  return { gh, octokit, git }
}

function envMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number of milliseconds >= 0, got "${raw}"`)
  return n
}
