/**
 * The results history on its own branch (`peakcast/history`) of the config repository, so
 * baselines survive ephemeral runners and every run is a reviewable commit. The branch holds
 * only .peakcast/history/<service>.jsonl (an orphan branch, unrelated to main's history).
 *
 * Appending is optimistic: build a commit on top of the branch as fetched, push it with
 * --force-with-lease, and when another job pushed first (the lease is stale), fetch again and
 * re-apply. appendRun replaces a record with the same run id, so a retry never duplicates one.
 * The caller's checkout is never touched: commits are built in a temporary worktree.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Git } from '../github/git.js'
import { PeakcastError } from '../util/errors.js'
import type { Logger } from '../util/log.js'
import { appendRun, HISTORY_BRANCH, historyPath, parseHistory, type HistoryRecord } from './history.js'

export interface HistoryStoreOptions {
  /** the protected base branch (Git.push refuses to touch it) */
  base: string
  log: Logger
  branch?: string
  /** push attempts when other jobs keep winning the race (default 5) */
  attempts?: number
  /** wait before attempt n (ms); tests shorten it */
  backoffMs?: (attempt: number) => number
}

export class GitHistoryStore {
  readonly branch: string

  constructor(
    private readonly git: Git,
    private readonly opts: HistoryStoreOptions
  ) {
    this.branch = opts.branch ?? HISTORY_BRANCH
  }

  /** The service's records, oldest first; none when the branch or file does not exist yet. */
  async read(service: string): Promise<HistoryRecord[]> {
    const { text } = await this.fetchText(service)
    return parseHistory(text, `${this.branch}:${historyPath(service)}`)
  }

  /** Adds the record and pushes; returns the new branch commit. */
  async append(record: HistoryRecord): Promise<string> {
    const attempts = this.opts.attempts ?? 5
    const path = historyPath(record.service)
    for (let attempt = 1; ; attempt++) {
      const { parent, text } = await this.fetchText(record.service)
      const next = appendRun(text, record, { file: `${this.branch}:${path}` })
      const sha = await this.commit(parent, path, next, `peakcast: ${record.service} run ${record.runId}${record.verdict ? ` (${record.verdict})` : ''}`)
      try {
        await this.git.push({ sha, branch: this.branch, expectedSha: parent, base: this.opts.base })
        this.opts.log.info(`results history: ${record.service} run ${record.runId} recorded on ${this.branch} at ${sha.slice(0, 12)}`)
        return sha
      } catch (err) {
        if (!isRaceLost(err) || attempt >= attempts) {
          throw new PeakcastError(
            `could not record the run on ${this.branch}: ${(err as Error).message}`,
            { field: 'history' },
            'give the job `contents: write` and check that the branch is not protected against the workflow token'
          )
        }
        const wait = this.opts.backoffMs?.(attempt) ?? 500 * attempt + Math.floor(Math.random() * 500)
        this.opts.log.warn(`results history: ${this.branch} moved while recording (attempt ${attempt} of ${attempts}); retrying in ${wait} ms`)
        await new Promise(r => setTimeout(r, wait))
      }
    }
  }

  private async fetchText(service: string): Promise<{ parent: string | null; text: string }> {
    const remote = await this.git.remoteBranchSha(this.branch)
    if (remote === null) return { parent: null, text: '' }
    const parent = await this.git.fetch(this.branch)
    const out = await this.git.exec(['show', `${parent}:${historyPath(service)}`], { allowFailure: true })
    return { parent, text: out.exitCode === 0 ? out.stdout : '' }
  }

  /** A commit whose tree is the parent's (or empty) with `path` set to `content`. */
  private async commit(parent: string | null, path: string, content: string, message: string): Promise<string> {
    return this.git.withWorktree(parent ?? 'HEAD', async wt => {
      // the index, not the files on disk, makes the tree: start from the parent's tree or nothing
      await wt.exec(['read-tree', parent ?? '--empty'])
      const file = join(wt.dir, path)
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, content)
      await wt.exec(['add', '-f', '--', path])
      const tree = (await wt.exec(['write-tree'])).stdout.trim()
      const parents = parent ? ['-p', parent] : []
      return (await wt.exec(['commit-tree', tree, ...parents, '-m', message])).stdout.trim()
    })
  }
}

/** git's words when the remote branch moved since we fetched it. */
function isRaceLost(err: unknown): boolean {
  return /stale info|non-fast-forward|fetch first|\[rejected\]|failed to update ref|cannot lock ref/i.test((err as Error).message)
}
