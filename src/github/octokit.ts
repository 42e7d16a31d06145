import { getOctokit } from '@actions/github'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import Bottleneck from 'bottleneck'
import type { Logger } from '../util/log.js'

export type GitHubClient = ReturnType<typeof getOctokit>

export interface OctokitOptions {
  /** REST API root, e.g. https://api.github.com or a GHES /api/v3 URL (tests: the fake) */
  baseUrl?: string
  log: Logger
  /** retries after a rate limit or a 5xx answer (default 3) */
  retries?: number
  /** what one second of `retry-after` (and of the 5xx back-off) lasts, in ms; tests shrink it */
  retryAfterBaseMs?: number
  /**
   * spacing of write requests; GitHub asks for >= 1 s to avoid secondary rate limits (writes
   * that notify people, such as new PRs and comments, get 3×: the plugin's default ratio)
   */
  writeIntervalMs?: number
}

/**
 * The one GitHub client: @actions/github's Octokit (proxy-aware, REST methods, pagination)
 * with retries for 5xx and throttling that waits out primary and secondary rate limits.
 */
export function createOctokit(token: string, opts: OctokitOptions): GitHubClient {
  const { log, retries = 3, retryAfterBaseMs = 1000, writeIntervalMs = 1000 } = opts
  log.secret(token)
  const onLimit = (kind: string) => (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
    const again = retryCount < retries
    log.warn(`GitHub ${kind} rate limit on ${options.method} ${options.url}; ${again ? `retrying after ${retryAfter} s` : 'giving up'}`)
    return again
  }
  return getOctokit(
    token,
    {
      ...(opts.baseUrl ? { baseUrl: opts.baseUrl.replace(/\/+$/, '') } : {}),
      retry: { retries, retryAfterBaseValue: retryAfterBaseMs },
      throttle: {
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
        retryAfterBaseValue: retryAfterBaseMs,
        // groups per client, so one client's spacing does not slow another's
        write: new Bottleneck.Group({ maxConcurrent: 1, minTime: writeIntervalMs }),
        notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: 3 * writeIntervalMs })
      },
      log: {
        debug: () => undefined,
        info: () => undefined,
        warn: (m: string) => log.warn(m),
        error: (m: string) => log.warn(m)
      }
    },
    retry,
    throttling
  )
}
