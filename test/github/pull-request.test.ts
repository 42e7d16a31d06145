import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Git } from '../../src/github/git.js'
import { createOctokit, type GitHubClient } from '../../src/github/octokit.js'
import { createOrUpdatePullRequest, type PullRequestOptions } from '../../src/github/pull-request.js'
import { PeakcastError } from '../../src/util/errors.js'
import { memoryLogger } from '../../src/util/log.js'
import { createBareRepo, type BareRepo } from '../helpers/bare-repo.js'
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js'

const TOKEN = 'ghs_PLANTEDsecretToken0123456789abcdef'
const WORKLOAD = 'workloads/checkout-api.yaml'
const JMX = 'workloads/checkout-api.jmx'
const BASE_YAML = 'apiVersion: peakcast/v1\ntest:\n  targetRps: 1000\n'

let repo: BareRepo
let gh: FakeGitHub
let octokit: GitHubClient
let log: ReturnType<typeof memoryLogger>

beforeEach(async () => {
  repo = createBareRepo({ files: { 'README.md': '# gitops\n', [WORKLOAD]: BASE_YAML } })
  gh = await startFakeGitHub({ owner: 'acme', repo: 'gitops', gitDir: repo.bare })
  log = memoryLogger()
  octokit = createOctokit(TOKEN, { baseUrl: gh.url, log, retryAfterBaseMs: 10, writeIntervalMs: 0 })
})

afterEach(async () => {
  await gh.stop()
  repo.cleanup()
})

function options(yaml: string, extra: Partial<PullRequestOptions> = {}): PullRequestOptions {
  return {
    octokit,
    git: new Git(repo.clone, log, { token: TOKEN }),
    owner: 'acme',
    repo: 'gitops',
    base: 'main',
    branch: 'peakcast/forecast/checkout-api',
    files: [
      { path: WORKLOAD, content: yaml },
      { path: JMX, content: `<jmeterTestPlan>${yaml.length}</jmeterTestPlan>\n` }
    ],
    commitMessage: 'peakcast: regenerate checkout-api workload',
    title: 'Peakcast: checkout-api workload for next week',
    body: `target ${yaml.length}`,
    labels: ['peakcast', 'performance'],
    reviewers: ['perf-team-lead'],
    log,
    ...extra
  }
}

const writes = () => gh.requests.filter(r => r.method !== 'GET').length

function expectCheckoutUntouched(): void {
  expect(repo.git(['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('main')
  expect(repo.git(['status', '--porcelain'])).toBe('')
  expect(repo.git(['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1)
}

describe('createOrUpdatePullRequest against the fake GitHub and a real bare repo', () => {
  test('create, no-op, update in place, close when the files match base again', async () => {
    const baseSha = repo.branchSha('main')
    const first = await createOrUpdatePullRequest(options('apiVersion: peakcast/v1\ntest:\n  targetRps: 1551\n'))
    expect(first.operation).toBe('created')
    expect(first.headSha).toBe(repo.branchSha('peakcast/forecast/checkout-api'))
    expect(repo.readFile('peakcast/forecast/checkout-api', WORKLOAD)).toContain('targetRps: 1551')
    expect(repo.readFile('peakcast/forecast/checkout-api', JMX)).toContain('<jmeterTestPlan>')
    expect(gh.state.pulls).toHaveLength(1)
    const pull = gh.state.pulls[0]
    expect(pull).toMatchObject({ number: first.number, state: 'open', head: 'peakcast/forecast/checkout-api', base: 'main' })
    expect(pull.labels).toEqual(['peakcast', 'performance'])
    expect(pull.reviewers).toEqual(['perf-team-lead'])
    expect(first.url).toContain(`/pull/${first.number}`)
    // the branch is base + exactly one commit
    expect(repo.git(['rev-parse', `${first.headSha}^`], repo.bare)).toBe(baseSha)

    const writesBefore = writes()
    const second = await createOrUpdatePullRequest(options('apiVersion: peakcast/v1\ntest:\n  targetRps: 1551\n'))
    expect(second).toEqual({ operation: 'none', number: first.number, url: first.url, headSha: first.headSha })
    expect(writes()).toBe(writesBefore)

    const third = await createOrUpdatePullRequest(options('apiVersion: peakcast/v1\ntest:\n  targetRps: 1702\n'))
    expect(third.operation).toBe('updated')
    expect(third.number).toBe(first.number)
    expect(third.headSha).not.toBe(first.headSha)
    expect(repo.readFile('peakcast/forecast/checkout-api', WORKLOAD)).toContain('targetRps: 1702')
    expect(gh.state.pulls).toHaveLength(1)
    expect(gh.state.pulls[0].body).toBe(`target ${'apiVersion: peakcast/v1\ntest:\n  targetRps: 1702\n'.length}`)

    // back to exactly what base has: both files must match base, so propose only the workload
    const fourth = await createOrUpdatePullRequest({ ...options(BASE_YAML), files: [{ path: WORKLOAD, content: BASE_YAML }] })
    expect(fourth.operation).toBe('closed')
    expect(gh.state.pulls[0].state).toBe('closed')
    expect(repo.branchSha('peakcast/forecast/checkout-api')).toBeNull()

    expect(repo.branchSha('main')).toBe(baseSha)
    expectCheckoutUntouched()
    expect(gh.violations).toEqual([])
  })

  test('a pull request that appeared meanwhile (422 already exists) is updated, not duplicated', async () => {
    const first = await createOrUpdatePullRequest(options('v: 1\n'))
    // the next lookup misses the open PR, as a concurrent run would: create answers 422
    gh.injectFault({ operationId: 'pulls/list' }, { status: 200, body: [] }, 1)
    const second = await createOrUpdatePullRequest(options('v: 2\n'))
    expect(second.operation).toBe('updated')
    expect(second.number).toBe(first.number)
    const creates = gh.requests.filter(r => r.operationId === 'pulls/create')
    expect(creates.map(r => r.status)).toEqual([201, 422])
    expect(gh.state.pulls).toHaveLength(1)
    expect(repo.readFile('peakcast/forecast/checkout-api', WORKLOAD)).toBe('v: 2\n')
    expect(gh.violations).toEqual([])
  })

  test('a failure part-way leaves base untouched and says what happened', async () => {
    const baseSha = repo.branchSha('main')
    gh.injectFault({ operationId: 'pulls/create' }, { status: 500, body: { message: 'Server Error' } }, Infinity)
    const err = (await createOrUpdatePullRequest(options('v: 9\n')).catch(e => e)) as Error
    expect(err).toBeInstanceOf(PeakcastError)
    expect(err.message).toMatch(/creating the pull request failed/)
    expect(err.message).toMatch(/branch peakcast\/forecast\/checkout-api was pushed at [0-9a-f]{12}/)
    expect(err.message).toMatch(/base branch main is unchanged/)
    // plugin-retry: 1 attempt + 3 retries
    expect(gh.requests.filter(r => r.operationId === 'pulls/create')).toHaveLength(4)
    expect(repo.branchSha('main')).toBe(baseSha)
    expectCheckoutUntouched()

    gh.clearFaults()
    // the next run recovers: same branch content, the PR gets created
    const again = await createOrUpdatePullRequest(options('v: 9\n'))
    expect(again.operation).toBe('created')
    expect(gh.violations).toEqual([])
  })

  test('a rejected push fails before any pull request exists and leaves the checkout as it was', async () => {
    const baseSha = repo.branchSha('main')
    const hook = join(repo.bare, 'hooks', 'pre-receive')
    writeFileSync(hook, '#!/bin/sh\necho "protected by policy" >&2\nexit 1\n')
    chmodSync(hook, 0o755)
    const err = (await createOrUpdatePullRequest(options('v: 5\n')).catch(e => e)) as Error
    expect(err).toBeInstanceOf(PeakcastError)
    expect(err.message).toMatch(/pushing peakcast\/forecast\/checkout-api failed: git push failed .*protected by policy/)
    expect(err.message).not.toMatch(/was pushed at/)
    expect(gh.state.pulls).toHaveLength(0)
    expect(repo.branchSha('peakcast/forecast/checkout-api')).toBeNull()
    expect(repo.branchSha('main')).toBe(baseSha)
    expectCheckoutUntouched()
  })

  test('works from a shallow checkout (actions/checkout fetch-depth 1)', async () => {
    // base moves on after the first PR, as it does between nightly runs
    await createOrUpdatePullRequest(options('v: 1\n'))
    repo.git(['commit', '-q', '--allow-empty', '-m', 'other work'])
    repo.git(['push', '-q', 'origin', 'HEAD:main'])
    const shallow = join(repo.root, 'shallow')
    repo.git(['clone', '-q', '--depth', '1', `file://${repo.bare}`, shallow], repo.root)
    expect(repo.git(['rev-parse', '--is-shallow-repository'], shallow)).toBe('true')
    const result = await createOrUpdatePullRequest({ ...options('v: 2\n'), git: new Git(shallow, log, { token: TOKEN }) })
    expect(result.operation).toBe('updated')
    // rebuilt on the new base
    expect(repo.git(['rev-parse', `${result.headSha}^`], repo.bare)).toBe(repo.branchSha('main'))
    expect(repo.readFile('peakcast/forecast/checkout-api', WORKLOAD)).toBe('v: 2\n')
    expect(gh.violations).toEqual([])
  })

  test('refuses to use the base branch as the pull-request branch', async () => {
    const baseSha = repo.branchSha('main')
    await expect(createOrUpdatePullRequest(options('v: 1\n', { branch: 'main' }))).rejects.toThrow(/base branch main/)
    await expect(new Git(repo.clone, log).push({ sha: baseSha!, branch: 'main', expectedSha: baseSha, base: 'main' })).rejects.toThrow(/refusing to push/)
    expect(repo.branchSha('main')).toBe(baseSha)
  })

  test('a planted token never reaches request bodies, URLs, logs or .git/config', async () => {
    await createOrUpdatePullRequest(options('secret-test: 1\n'))
    await expect(createOrUpdatePullRequest(options('secret-test: 2\n', { octokit: createOctokit(TOKEN, { baseUrl: `${gh.url}/nowhere`, log, retries: 0 }) }))).rejects.toThrow()
    const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64')
    for (const r of gh.requests) {
      expect(r.body).not.toContain(TOKEN)
      expect(r.path + JSON.stringify(r.query)).not.toContain(TOKEN)
      // it travels only where it must: the Authorization header
      expect(r.headers.authorization).toBe(`token ${TOKEN}`)
    }
    for (const line of log.lines) {
      expect(line).not.toContain(TOKEN)
      expect(line).not.toContain(basic)
    }
    expect(repo.git(['config', '--local', '--list'])).not.toContain(basic)
    // …while git itself does get the header the runner's checkout would use
    const header = await new Git(repo.clone, log, { token: TOKEN, serverUrl: 'https://github.com' }).exec(['config', '--get-all', 'http.https://github.com/.extraheader'])
    expect(header.stdout.trim().split('\n').pop()).toBe(`AUTHORIZATION: basic ${basic}`)
  })
})
