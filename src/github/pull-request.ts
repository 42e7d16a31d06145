/**
 * GitOps pull request in the manner of peter-evans/create-pull-request: a fixed branch
 * (e.g. peakcast/forecast/<service>) rebuilt from base + the generated files on every run,
 * updated in place, never duplicated, closed when the files match base again.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, isAbsolute, relative, resolve } from 'node:path'
import { PeakcastError } from '../util/errors.js'
import type { Logger } from '../util/log.js'
import type { Git } from './git.js'
import type { GitHubClient } from './octokit.js'

export interface PullRequestFile {
  /** path relative to the repository root, e.g. workloads/checkout-api.yaml */
  path: string
  /** text, or bytes for binary files such as ONNX models */
  content: string | Uint8Array
}

export interface PullRequestOptions {
  octokit: GitHubClient
  git: Git
  owner: string
  repo: string
  base: string
  branch: string
  files: PullRequestFile[]
  commitMessage: string
  title: string
  body: string
  labels?: string[]
  reviewers?: string[]
  log: Logger
}

export type PullRequestOperation = 'created' | 'updated' | 'closed' | 'none'

export interface PullRequestResult {
  operation: PullRequestOperation
  number?: number
  url?: string
  headSha?: string
}

interface OpenPull {
  number: number
  html_url: string
}

export async function createOrUpdatePullRequest(o: PullRequestOptions): Promise<PullRequestResult> {
  const { octokit, git, owner, repo, base, branch, log } = o
  if (branch === base) throw new PeakcastError(`pull-request branch equals the base branch ${base}`, { field: 'branch' }, 'use a branch such as peakcast/forecast/<service>')
  const paths = o.files.map((f, i) => checkedPath(f.path, i))
  const done = log.step(`pull request ${branch} → ${base}`)
  let stage = `fetching ${base}`
  let pushed: string | undefined
  try {
    const baseSha = await git.fetch(base)
    stage = `looking up ${branch}`
    const remoteSha = await git.remoteBranchSha(branch)
    if (remoteSha) await git.fetch(branch)
    const open = await findOpenPull(octokit, owner, repo, branch, base)

    stage = 'building the branch contents'
    const built = await git.withWorktree(baseSha, async wt => {
      for (const [i, f] of o.files.entries()) {
        const target = resolve(wt.dir, paths[i])
        mkdirSync(dirname(target), { recursive: true })
        writeFileSync(target, f.content)
      }
      if (!(await wt.hasChanges(paths))) return null
      const sha = await wt.commit(o.commitMessage, paths)
      return { sha, tree: await wt.treeSha(sha) }
    })

    if (!built) {
      // the files already match base: nothing to propose any more
      if (open) {
        stage = `closing pull request #${open.number}`
        await octokit.rest.pulls.update({ owner, repo, pull_number: open.number, state: 'closed' })
      }
      if (remoteSha) {
        stage = `deleting branch ${branch}`
        await git.deleteRemoteBranch({ branch, expectedSha: remoteSha, base })
      }
      log.info(open ? `closed pull request #${open.number}: ${base} already has these files` : `no changes against ${base}`)
      return open ? { operation: 'closed', number: open.number, url: open.html_url } : { operation: 'none' }
    }

    let headSha = built.sha
    if (remoteSha && (await git.treeSha(remoteSha)) === built.tree) {
      headSha = remoteSha
      if (open) {
        log.info(`pull request #${open.number} already proposes these files`)
        return { operation: 'none', number: open.number, url: open.html_url, headSha }
      }
    } else {
      stage = `pushing ${branch}`
      await git.push({ sha: built.sha, branch, expectedSha: remoteSha, base })
      pushed = built.sha
    }

    let operation: PullRequestOperation
    let pull: OpenPull
    if (open) {
      stage = `updating pull request #${open.number}`
      pull = (await octokit.rest.pulls.update({ owner, repo, pull_number: open.number, title: o.title, body: o.body })).data
      operation = 'updated'
    } else {
      stage = 'creating the pull request'
      const created = await createOrFindPull(o)
      pull = created.pull
      operation = created.operation
    }
    if (o.labels?.length) {
      stage = `labelling pull request #${pull.number}`
      await octokit.rest.issues.addLabels({ owner, repo, issue_number: pull.number, labels: o.labels })
    }
    if (operation === 'created' && o.reviewers?.length) {
      stage = `requesting reviewers on pull request #${pull.number}`
      await octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: pull.number, reviewers: o.reviewers })
    }
    log.info(`${operation} pull request #${pull.number}: ${pull.html_url}`)
    return { operation, number: pull.number, url: pull.html_url, headSha }
  } catch (err) {
    const what = pushed ? `branch ${branch} was pushed at ${pushed.slice(0, 12)}; ` : ''
    throw new PeakcastError(
      `pull request for ${branch}: ${stage} failed: ${(err as Error).message}. ${what}base branch ${base} is unchanged`,
      {},
      'fix the cause and rerun: the next run updates the same branch and pull request'
    )
  } finally {
    done()
  }
}

async function findOpenPull(octokit: GitHubClient, owner: string, repo: string, branch: string, base: string): Promise<OpenPull | undefined> {
  const { data } = await octokit.rest.pulls.list({ owner, repo, state: 'open', head: `${owner}:${branch}`, base, per_page: 10 })
  return data[0]
}

/** Creates the pull request; when one appeared meanwhile (422 "already exists"), updates that one. */
async function createOrFindPull(o: PullRequestOptions): Promise<{ pull: OpenPull; operation: PullRequestOperation }> {
  const { octokit, owner, repo, branch, base } = o
  try {
    const { data } = await octokit.rest.pulls.create({ owner, repo, head: branch, base, title: o.title, body: o.body })
    return { pull: data, operation: 'created' }
  } catch (err) {
    if (!isAlreadyExists(err)) throw err
    const existing = await findOpenPull(octokit, owner, repo, branch, base)
    if (!existing) throw err
    const { data } = await octokit.rest.pulls.update({ owner, repo, pull_number: existing.number, title: o.title, body: o.body })
    return { pull: data, operation: 'updated' }
  }
}

function isAlreadyExists(err: unknown): boolean {
  const e = err as { status?: number; response?: { data?: unknown } }
  return e.status === 422 && /already exists/i.test(JSON.stringify(e.response?.data ?? ''))
}

function checkedPath(path: string, i: number): string {
  const rel = relative('.', path)
  if (!path || isAbsolute(path) || rel.startsWith('..')) {
    throw new PeakcastError(`file path "${path}" must be relative and stay inside the repository`, { field: `files[${i}].path` })
  }
  return rel
}
