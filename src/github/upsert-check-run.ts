import { createCheckRun, type CheckRunOptions } from './check-run.js'
import { MAX_CHECK_OUTPUT_CHARS, truncateMarkdown } from './limits.js'

/**
 * One check run per name per commit: a re-run of the job updates the check run it posted
 * before instead of stacking a second one on the merge commit. Annotations are not carried
 * over (updates append them), so this is for reports without annotations.
 */
export async function upsertCheckRun(o: Omit<CheckRunOptions, 'annotations'>): Promise<{ id: number; url: string; operation: 'created' | 'updated' }> {
  const { octokit, owner, repo } = o
  const { data } = await octokit.rest.checks.listForRef({ owner, repo, ref: o.headSha, check_name: o.name, filter: 'latest', per_page: 100 })
  const existing = data.check_runs.find(r => r.name === o.name && r.head_sha === o.headSha)
  if (!existing) return { ...(await createCheckRun(o)), operation: 'created' }
  const { data: updated } = await octokit.rest.checks.update({
    owner,
    repo,
    check_run_id: existing.id,
    status: 'completed',
    conclusion: o.conclusion,
    ...(o.detailsUrl ? { details_url: o.detailsUrl } : {}),
    output: {
      title: o.title,
      summary: truncateMarkdown(o.summary, MAX_CHECK_OUTPUT_CHARS),
      ...(o.text !== undefined ? { text: truncateMarkdown(o.text, MAX_CHECK_OUTPUT_CHARS) } : {})
    }
  })
  return { id: updated.id, url: updated.html_url ?? updated.url, operation: 'updated' }
}
