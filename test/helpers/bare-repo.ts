/**
 * A real git remote for tests: a bare repository whose default branch holds one commit with
 * the files of `seedDir` (or `files`), plus a working clone as a runner's checkout would have.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

export interface BareRepo {
  /** the temp directory holding everything; removed by cleanup() */
  root: string
  /** path of the bare repository (the "origin") */
  bare: string
  /** a clone of it, on the default branch */
  clone: string
  defaultBranch: string
  /** runs git in `cwd` (default: the clone) and returns trimmed stdout */
  git(args: string[], cwd?: string): string
  /** sha of a branch in the bare repository, or null when it does not exist */
  branchSha(branch: string): string | null
  /** contents of a file on a branch of the bare repository, or null */
  readFile(branch: string, path: string): string | null
  cleanup(): void
}

// A fixed identity and dates keep the seed commit reproducible and independent of the host's config.
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Peakcast Test',
  GIT_AUTHOR_EMAIL: 'test@peakcast.test',
  GIT_COMMITTER_NAME: 'Peakcast Test',
  GIT_COMMITTER_EMAIL: 'test@peakcast.test',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0'
}

function run(args: string[], cwd: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV }, stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

export function createBareRepo(seed: { dir?: string; files?: Record<string, string>; defaultBranch?: string } = {}): BareRepo {
  const defaultBranch = seed.defaultBranch ?? 'main'
  const root = mkdtempSync(join(tmpdir(), 'peakcast-git-'))
  const bare = join(root, 'origin.git')
  const seedDir = join(root, 'seed')
  const clone = join(root, 'clone')

  run(['init', '-q', '--bare', `--initial-branch=${defaultBranch}`, bare], root)
  mkdirSync(seedDir)
  if (seed.dir) cpSync(seed.dir, seedDir, { recursive: true })
  for (const [path, content] of Object.entries(seed.files ?? { 'README.md': '# gitops\n' })) {
    mkdirSync(dirname(join(seedDir, path)), { recursive: true })
    writeFileSync(join(seedDir, path), content)
  }
  run(['init', '-q', `--initial-branch=${defaultBranch}`], seedDir)
  run(['add', '-A'], seedDir)
  run(['commit', '-q', '-m', 'initial commit'], seedDir)
  run(['push', '-q', bare, `HEAD:refs/heads/${defaultBranch}`], seedDir)
  run(['clone', '-q', bare, clone], root)
  run(['config', 'user.name', 'Peakcast Test'], clone)
  run(['config', 'user.email', 'test@peakcast.test'], clone)

  return {
    root,
    bare,
    clone,
    defaultBranch,
    git: (args, cwd = clone) => run(args, cwd),
    branchSha(branch) {
      try {
        return run(['rev-parse', '--verify', '-q', `refs/heads/${branch}`], bare)
      } catch {
        return null
      }
    },
    readFile(branch, path) {
      try {
        return execFileSync('git', ['show', `refs/heads/${branch}:${path}`], { cwd: bare, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      } catch {
        return null
      }
    },
    cleanup: () => rmSync(root, { recursive: true, force: true })
  }
}
