import { mkdirSync, writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { Git } from '../../src/github/git.js'
import { githubContext } from '../../src/github/context.js'
import { changedWorkloads, servicesFromPaths } from '../../src/workload/changed-workloads.js'
import { memoryLogger } from '../../src/util/log.js'
import { createBareRepo, type BareRepo } from '../helpers/bare-repo.js'

describe('servicesFromPaths', () => {
  test('maps workload files to service names, once each, sorted; ignores other files and subdirectories', () => {
    expect(servicesFromPaths(['b.yaml', 'a.jmx', 'a.yaml', 'README.md', 'old/c.yaml', 'd.yml', ''])).toEqual(['a', 'b', 'd'])
  })
})

describe('changedWorkloads', () => {
  let repo: BareRepo
  const sha = () => repo.git(['rev-parse', 'HEAD'])
  const commit = (files: Record<string, string | null>) => {
    for (const [p, c] of Object.entries(files)) {
      const full = join(repo.clone, p)
      if (c === null) rmSync(full)
      else {
        mkdirSync(join(full, '..'), { recursive: true })
        writeFileSync(full, c)
      }
    }
    repo.git(['add', '-A'])
    repo.git(['commit', '-q', '-m', 'change'])
    return sha()
  }
  beforeAll(() => {
    repo = createBareRepo({ files: { 'workloads/a.yaml': '1', 'workloads/b.yaml': '1', 'workloads/b.jmx': '1', 'peakcast.yaml': '1' } })
  })
  afterAll(() => repo.cleanup())
  const git = () => new Git(join(repo.clone, 'workloads'), memoryLogger())

  test('lists services whose yaml or jmx changed between before and after; deletions do not count', async () => {
    const before = sha()
    commit({ 'workloads/b.jmx': '2', 'peakcast.yaml': '2', 'workloads/c.yaml': '1' })
    const after = commit({ 'workloads/a.yaml': null })
    expect(await changedWorkloads({ git: git(), before, after, log: memoryLogger() })).toEqual(['b', 'c'])
  })

  test("without a usable before it compares with the pushed commit's parent, and says so", async () => {
    const after = commit({ 'workloads/d.yaml': '1' })
    const log = memoryLogger()
    expect(await changedWorkloads({ git: git(), before: 'f'.repeat(40), after, log })).toEqual(['d'])
    expect(log.lines.join('\n')).toMatch(/not in the checkout.*fetch-depth/)
    expect(await changedWorkloads({ git: git(), after, log })).toEqual(['d'])
  })

  test('undefined when there is nothing to compare with (a root commit)', async () => {
    const root = repo.git(['rev-list', '--max-parents=0', 'HEAD'])
    expect(await changedWorkloads({ git: git(), after: root, log: memoryLogger() })).toBeUndefined()
  })
})

describe('githubContext', () => {
  const sha = '0123456789abcdef0123456789abcdef01234567'
  test('reads repository, commit, URLs, run and the push event', () => {
    const event = { before: 'f'.repeat(40), repository: { default_branch: 'trunk' } }
    const ctx = githubContext(
      { GITHUB_REPOSITORY: 'acme/gitops', GITHUB_SHA: sha, GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: '/e.json', GITHUB_SERVER_URL: 'https://ghe.test/', GITHUB_API_URL: 'https://ghe.test/api/v3', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2' },
      path => (path === '/e.json' ? JSON.stringify(event) : '')
    )
    expect(ctx).toEqual({
      owner: 'acme',
      repo: 'gitops',
      sha,
      eventName: 'push',
      event,
      apiUrl: 'https://ghe.test/api/v3',
      serverUrl: 'https://ghe.test',
      runId: '42',
      runAttempt: 2,
      runUrl: 'https://ghe.test/acme/gitops/actions/runs/42',
      defaultBranch: 'trunk',
      before: 'f'.repeat(40)
    })
  })
  test('defaults; a new branch (before all zeros) has no before; off a runner it is undefined', () => {
    const ctx = githubContext({ GITHUB_REPOSITORY: 'a/b', GITHUB_SHA: sha }, () => '{"before":"' + '0'.repeat(40) + '"}')
    expect(ctx).toMatchObject({ apiUrl: 'https://api.github.com', serverUrl: 'https://github.com', defaultBranch: 'main', event: {} })
    expect(ctx?.before).toBeUndefined()
    expect(githubContext({})).toBeUndefined()
  })
  test('bad values name the variable', () => {
    expect(() => githubContext({ GITHUB_REPOSITORY: 'nope', GITHUB_SHA: sha })).toThrow(/GITHUB_REPOSITORY/)
    expect(() => githubContext({ GITHUB_REPOSITORY: 'a/b', GITHUB_SHA: 'x' })).toThrow(/GITHUB_SHA/)
    expect(() => githubContext({ GITHUB_REPOSITORY: 'a/b', GITHUB_SHA: sha, GITHUB_EVENT_PATH: '/e' }, () => '{')).toThrow(/GITHUB_EVENT_PATH.*not JSON/)
  })
})
