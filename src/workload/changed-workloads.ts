/**
 * Which services' workloads a push changed: `git diff` between the push's `before` commit and
 * the pushed commit, restricted to the workloads directory. A changed .yaml or .jmx counts;
 * deleted files do not (nothing left to run).
 */
import type { Git } from '../github/git.js'
import type { Logger } from '../util/log.js'

/** Service names of changed top-level workloads/<service>.yaml|.jmx paths, sorted, each once. */
export function servicesFromPaths(paths: readonly string[]): string[] {
  const names = new Set<string>()
  for (const p of paths) {
    const m = /^([^/]+)\.(ya?ml|jmx)$/.exec(p.trim())
    if (m) names.add(m[1])
  }
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/**
 * `git` runs in the workloads directory. Without a usable `before` (a new branch, or a commit
 * the shallow checkout lacks) it compares with the pushed commit's first parent, which for a
 * merge commit is the base branch before the merge. Undefined when neither is available:
 * the caller then runs every workload.
 */
export async function changedWorkloads(o: { git: Git; before?: string; after: string; log: Logger }): Promise<string[] | undefined> {
  const { git, after, log } = o
  const exists = async (rev: string) => (await git.exec(['cat-file', '-e', `${rev}^{commit}`], { allowFailure: true })).exitCode === 0
  let base: string | undefined
  if (o.before && (await exists(o.before))) base = o.before
  else if (await exists(`${after}^`)) {
    if (o.before) log.warn(`commit ${o.before.slice(0, 12)} (the push's "before") is not in the checkout; comparing with the parent of ${after.slice(0, 12)} (checkout with fetch-depth: 2 or more)`)
    base = `${after}^`
  }
  if (!base) return undefined
  const out = await git.exec(['diff', '--name-only', '--relative', '--no-renames', '--diff-filter=ACMT', base, after, '--', '.'])
  return servicesFromPaths(out.stdout.split('\n').filter(Boolean))
}
