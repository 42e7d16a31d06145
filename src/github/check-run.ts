import { MAX_CHECK_OUTPUT_CHARS, truncateMarkdown } from './limits.js'
import type { GitHubClient } from './octokit.js'

export type CheckConclusion = 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required'

/** A problem at a file:line, shown inline on the pull request's diff. */
export interface CheckAnnotation {
  path: string
  startLine: number
  endLine?: number
  level: 'notice' | 'warning' | 'failure'
  message: string
  title?: string
}

export interface CheckRunOptions {
  octokit: GitHubClient
  owner: string
  repo: string
  headSha: string
  name: string
  conclusion: CheckConclusion
  title: string
  summary: string
  text?: string
  annotations?: CheckAnnotation[]
  detailsUrl?: string
}

/** The Checks API takes at most 50 annotations per request; the rest follow in updates, which append. */
const ANNOTATIONS_PER_REQUEST = 50

/**
 * Posts a completed check run on `headSha`. Peakcast posts its own because a PR opened with
 * the default GITHUB_TOKEN triggers no other workflows, so nothing else would report on it.
 */
export async function createCheckRun(o: CheckRunOptions): Promise<{ id: number; url: string }> {
  const { octokit, owner, repo } = o
  const batches = chunk((o.annotations ?? []).map(toApi), ANNOTATIONS_PER_REQUEST)
  const output = {
    title: o.title,
    summary: truncateMarkdown(o.summary, MAX_CHECK_OUTPUT_CHARS),
    ...(o.text !== undefined ? { text: truncateMarkdown(o.text, MAX_CHECK_OUTPUT_CHARS) } : {})
  }
  const { data } = await octokit.rest.checks.create({
    owner,
    repo,
    name: o.name,
    head_sha: o.headSha,
    status: 'completed',
    conclusion: o.conclusion,
    ...(o.detailsUrl ? { details_url: o.detailsUrl } : {}),
    output: { ...output, ...(batches.length ? { annotations: batches[0] } : {}) }
  })
  for (const annotations of batches.slice(1)) {
    await octokit.rest.checks.update({ owner, repo, check_run_id: data.id, output: { title: output.title, summary: output.summary, annotations } })
  }
  return { id: data.id, url: data.html_url ?? data.url }
}

function toApi(a: CheckAnnotation) {
  return {
    path: a.path,
    start_line: a.startLine,
    end_line: a.endLine ?? a.startLine,
    annotation_level: a.level,
    message: a.message,
    ...(a.title ? { title: a.title } : {})
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
