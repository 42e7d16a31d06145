/**
 * A thin wrapper over the git CLI (the runner's git, as actions/checkout leaves it). Branch
 * work happens in a temporary worktree, so the caller's checkout never changes branch, even
 * when something fails half-way.
 */
import { getExecOutput, type ExecOutput } from '@actions/exec'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PeakcastError } from '../util/errors.js'
import type { Logger } from '../util/log.js'
import { redact } from './redact.js'

export interface GitOptions {
  /**
   * Token for fetch and push over https. It travels as the `http.<server>/.extraheader`
   * that actions/checkout uses, set through GIT_CONFIG_* environment variables: never in a
   * URL, an argument list, a log line, or .git/config.
   */
  token?: string
  /** the server the header is for (default $GITHUB_SERVER_URL or https://github.com) */
  serverUrl?: string
  /** remote name (default origin) */
  remote?: string
  /** commit identity (default github-actions[bot]) */
  author?: { name: string; email: string }
}

const BOT = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' }

export class Git {
  readonly remote: string
  private readonly env: Record<string, string>
  private readonly secrets: string[] = []

  constructor(
    readonly dir: string,
    private readonly log: Logger,
    private readonly opts: GitOptions = {}
  ) {
    this.remote = opts.remote ?? 'origin'
    const author = opts.author ?? BOT
    this.env = {
      ...(process.env as Record<string, string>),
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email
    }
    if (opts.token) {
      const basic = Buffer.from(`x-access-token:${opts.token}`).toString('base64')
      this.secrets.push(opts.token, basic)
      for (const s of this.secrets) log.secret(s)
      const server = (opts.serverUrl ?? process.env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '')
      const key = `http.${server}/.extraheader`
      const n = Number(process.env.GIT_CONFIG_COUNT ?? 0)
      // the empty value first clears a header the checkout persisted: two Authorization headers are rejected
      Object.assign(this.env, {
        GIT_CONFIG_COUNT: String(n + 2),
        [`GIT_CONFIG_KEY_${n}`]: key,
        [`GIT_CONFIG_VALUE_${n}`]: '',
        [`GIT_CONFIG_KEY_${n + 1}`]: key,
        [`GIT_CONFIG_VALUE_${n + 1}`]: `AUTHORIZATION: basic ${basic}`
      })
    }
  }

  /** Runs git; a non-zero exit throws a PeakcastError with git's (redacted) stderr unless allowFailure. */
  async exec(args: string[], o: { allowFailure?: boolean } = {}): Promise<ExecOutput> {
    const out = await getExecOutput('git', args, { cwd: this.dir, env: this.env, silent: true, ignoreReturnCode: true })
    if (out.exitCode !== 0 && !o.allowFailure) {
      const detail = redact(out.stderr.trim() || out.stdout.trim(), this.secrets)
      throw new PeakcastError(`git ${args[0]} failed (exit ${out.exitCode}) in ${this.dir}: ${detail}`)
    }
    return out
  }

  async currentSha(ref = 'HEAD'): Promise<string> {
    return (await this.exec(['rev-parse', '--verify', `${ref}^{commit}`])).stdout.trim()
  }

  async treeSha(ref = 'HEAD'): Promise<string> {
    return (await this.exec(['rev-parse', '--verify', `${ref}^{tree}`])).stdout.trim()
  }

  /** True when the working tree or index differs from HEAD for `paths` (all paths when empty), untracked files included. */
  async hasChanges(paths: string[] = []): Promise<boolean> {
    const out = await this.exec(['status', '--porcelain', '--untracked-files=all', '--', ...paths])
    return out.stdout.trim().length > 0
  }

  /** Stages `paths` (everything when empty) and commits; returns the new commit's sha. */
  async commit(message: string, paths: string[] = []): Promise<string> {
    await this.exec(['add', '-A', '--', ...(paths.length ? paths : ['.'])])
    await this.exec(['commit', '--quiet', '--no-verify', '--no-gpg-sign', '-m', message])
    return this.currentSha()
  }

  /** The sha a remote branch points at, or null when it does not exist. */
  async remoteBranchSha(branch: string): Promise<string | null> {
    const out = await this.exec(['ls-remote', '--heads', this.remote, `refs/heads/${branch}`])
    const line = out.stdout.split('\n').find(l => l.endsWith(`\trefs/heads/${branch}`))
    return line ? line.split('\t')[0] : null
  }

  /** Fetches a remote branch into refs/remotes/<remote>/<branch> and returns its sha. */
  async fetch(branch: string): Promise<string> {
    const shallow = (await this.exec(['rev-parse', '--is-shallow-repository'])).stdout.trim() === 'true'
    const tracking = `refs/remotes/${this.remote}/${branch}`
    await this.exec(['fetch', '--quiet', '--no-tags', ...(shallow ? ['--depth=1'] : []), this.remote, `+refs/heads/${branch}:${tracking}`])
    return this.currentSha(tracking)
  }

  /**
   * Pushes `sha` to `branch` only if the remote branch still is at `expectedSha` (null: must
   * not exist), so a concurrent change is never overwritten. Refuses to touch `base`.
   */
  async push(p: { sha: string; branch: string; expectedSha: string | null; base: string }): Promise<void> {
    this.refuseBase(p.branch, p.base)
    await this.exec(['push', '--quiet', `--force-with-lease=refs/heads/${p.branch}:${p.expectedSha ?? ''}`, this.remote, `${p.sha}:refs/heads/${p.branch}`])
  }

  /** Deletes a remote branch if it still is at `expectedSha`. Refuses to touch `base`. */
  async deleteRemoteBranch(p: { branch: string; expectedSha: string; base: string }): Promise<void> {
    this.refuseBase(p.branch, p.base)
    await this.exec(['push', '--quiet', `--force-with-lease=refs/heads/${p.branch}:${p.expectedSha}`, this.remote, `:refs/heads/${p.branch}`])
  }

  /**
   * Runs `fn` with a Git for a temporary detached worktree at `ref`, then removes the
   * worktree whatever happened; the caller's checkout is never switched.
   */
  async withWorktree<T>(ref: string, fn: (worktree: Git) => Promise<T>): Promise<T> {
    const dir = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'peakcast-worktree-'))
    await this.exec(['worktree', 'add', '--quiet', '--detach', dir, ref])
    try {
      return await fn(new Git(dir, this.log, this.opts))
    } finally {
      await this.exec(['worktree', 'remove', '--force', dir], { allowFailure: true })
      rmSync(dir, { recursive: true, force: true })
      await this.exec(['worktree', 'prune'], { allowFailure: true })
    }
  }

  private refuseBase(branch: string, base: string): void {
    if (branch === base || branch === `refs/heads/${base}`) {
      throw new PeakcastError(`refusing to push to the base branch ${base}`, { field: 'branch' }, 'choose a pull-request branch such as peakcast/forecast/<service>')
    }
  }
}
