import { PeakcastError } from '../util/errors.js'
import { MAX_BODY_CHARS, truncateMarkdown } from './limits.js'
import type { GitHubClient } from './octokit.js'

export interface StickyCommentOptions {
  octokit: GitHubClient
  owner: string
  repo: string
  issueNumber: number
  /** hidden HTML comment that identifies this comment, e.g. <!-- peakcast:report:checkout-api --> */
  marker: string
  body: string
}

export interface StickyCommentResult {
  operation: 'created' | 'updated'
  id: number
  url: string
}

/**
 * One comment per marker per pull request: the first run creates it, later runs edit it in
 * place, so a PR's conversation carries the latest report once instead of one per run.
 */
export async function upsertStickyComment(o: StickyCommentOptions): Promise<StickyCommentResult> {
  const { octokit, owner, repo, issueNumber, marker } = o
  if (!/^<!--[\s\S]*-->$/.test(marker)) throw new PeakcastError(`sticky comment marker must be a hidden HTML comment, got ${marker}`, { field: 'marker' })
  const body = truncateMarkdown(o.body.startsWith(marker) ? o.body : `${marker}\n${o.body}`, MAX_BODY_CHARS)
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: issueNumber, per_page: 100 })
  const existing = comments.find(c => c.body?.includes(marker))
  if (existing) {
    const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body })
    return { operation: 'updated', id: data.id, url: data.html_url }
  }
  const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body })
  return { operation: 'created', id: data.id, url: data.html_url }
}
