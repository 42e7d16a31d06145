import type { GitHubClient } from './octokit.js'

export interface MergedPull {
  number: number
  url: string
  /** the PR branch's last commit, where its check run belongs */
  headSha: string
  headRef: string
}

/**
 * The pull request a push to the base branch came from: the merged PR whose merge commit is
 * `sha` (merge, squash and rebase merges all record it). Undefined for a direct push.
 */
export async function findMergedPull(o: { octokit: GitHubClient; owner: string; repo: string; sha: string }): Promise<MergedPull | undefined> {
  const { data } = await o.octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner: o.owner, repo: o.repo, commit_sha: o.sha, per_page: 100 })
  const pull = data.find(p => p.merge_commit_sha === o.sha && p.merged_at !== null)
  return pull && { number: pull.number, url: pull.html_url, headSha: pull.head.sha, headRef: pull.head.ref }
}
