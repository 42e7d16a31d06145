import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { createCheckRun, type CheckAnnotation } from '../../src/github/check-run.js'
import { findMergedPull } from '../../src/github/merged-pull.js'
import { createOctokit, type GitHubClient } from '../../src/github/octokit.js'
import { upsertStickyComment } from '../../src/github/sticky-comment.js'
import { memoryLogger } from '../../src/util/log.js'
import { startFakeGitHub, type FakeGitHub, type FakePull } from '../helpers/fake-github.js'

let gh: FakeGitHub
let octokit: GitHubClient
const SHA = 'a'.repeat(40)

beforeAll(async () => {
  gh = await startFakeGitHub()
  octokit = createOctokit('ghs_test', { baseUrl: gh.url, log: memoryLogger(), retryAfterBaseMs: 10, writeIntervalMs: 0 })
  const pull = (number: number): FakePull => ({
    number,
    state: 'open',
    title: `PR ${number}`,
    body: null,
    head: `peakcast/forecast/svc-${number}`,
    base: 'main',
    headSha: SHA,
    labels: [],
    reviewers: [],
    merged: false,
    mergeCommitSha: null
  })
  gh.state.pulls.push(pull(1), pull(2))
})
afterAll(() => gh.stop())

describe('upsertStickyComment', () => {
  test('creates once, then edits the same comment; other markers and other comments are left alone', async () => {
    // 120 human comments first, so the sticky one sits on the second page
    for (let i = 0; i < 120; i++) gh.state.comments.push({ id: gh.state.nextId++, issueNumber: 1, body: `human ${i}`, user: 'octocat' })
    const marker = '<!-- peakcast:report:checkout-api -->'
    const first = await upsertStickyComment({ octokit, owner: 'acme', repo: 'gitops', issueNumber: 1, marker, body: 'p95 310 ms: FAIL' })
    const second = await upsertStickyComment({ octokit, owner: 'acme', repo: 'gitops', issueNumber: 1, marker, body: 'p95 280 ms: PASS' })
    expect(first.operation).toBe('created')
    expect(second).toMatchObject({ operation: 'updated', id: first.id })
    const mine = gh.state.comments.filter(c => c.body.includes(marker))
    expect(mine).toHaveLength(1)
    expect(mine[0].body).toBe(`${marker}\np95 280 ms: PASS`)
    expect(gh.state.comments.filter(c => c.issueNumber === 1)).toHaveLength(121)

    const other = await upsertStickyComment({ octokit, owner: 'acme', repo: 'gitops', issueNumber: 1, marker: '<!-- peakcast:report:cart -->', body: 'cart' })
    expect(other.operation).toBe('created')
    const onTwo = await upsertStickyComment({ octokit, owner: 'acme', repo: 'gitops', issueNumber: 2, marker, body: 'x' })
    expect(onTwo.operation).toBe('created')
    expect(gh.state.comments.find(c => c.id === first.id)?.body).toContain('PASS')
    expect(gh.violations).toEqual([])
  })

  test('an oversized body is cut below GitHub\'s limit and keeps its marker', async () => {
    const marker = '<!-- peakcast:big -->'
    await upsertStickyComment({ octokit, owner: 'acme', repo: 'gitops', issueNumber: 2, marker, body: 'x'.repeat(100_000) })
    const c = gh.state.comments.find(x => x.body.startsWith(marker))!
    expect(c.body.length).toBeLessThanOrEqual(65_536)
    expect(c.body).toMatch(/truncated/)
    expect(gh.violations).toEqual([])
  })

  test('a marker that is not a hidden HTML comment is refused', async () => {
    await expect(upsertStickyComment({ octokit, owner: 'acme', repo: 'gitops', issueNumber: 1, marker: 'peakcast', body: 'x' })).rejects.toThrow(/hidden HTML comment/)
  })
})

describe('createCheckRun', () => {
  test('posts a completed run; 120 annotations go out 50 per request and all arrive', async () => {
    const annotations: CheckAnnotation[] = Array.from({ length: 120 }, (_, i) => ({
      path: 'workloads/checkout-api.yaml',
      startLine: i + 1,
      level: i % 2 ? 'warning' : 'failure',
      message: `problem ${i}`
    }))
    const run = await createCheckRun({
      octokit,
      owner: 'acme',
      repo: 'gitops',
      headSha: SHA,
      name: 'peakcast / checkout-api',
      conclusion: 'failure',
      title: 'p95 310 ms > 300 ms',
      summary: 's'.repeat(70_000),
      text: 'details',
      annotations
    })
    const stored = gh.state.checkRuns.find(r => r.id === run.id)!
    expect(stored).toMatchObject({ name: 'peakcast / checkout-api', headSha: SHA, status: 'completed', conclusion: 'failure' })
    expect(stored.output.annotations.map(a => a.message)).toEqual(annotations.map(a => a.message))
    expect(stored.output.annotations[0]).toMatchObject({ start_line: 1, end_line: 1, annotation_level: 'failure' })
    expect(stored.output.summary!.length).toBeLessThanOrEqual(65_535)
    const calls = gh.requests.filter(r => r.operationId === 'checks/create' || r.operationId === 'checks/update')
    expect(calls.map(r => (JSON.parse(r.body) as { output: { annotations: unknown[] } }).output.annotations.length)).toEqual([50, 50, 20])
    // the run is found on the ref, as a later step (or GitHub's UI) would find it
    const { data } = await octokit.rest.checks.listForRef({ owner: 'acme', repo: 'gitops', ref: SHA })
    expect(data.check_runs.map(r => r.id)).toContain(run.id)
    expect(gh.violations).toEqual([])
  })
})

describe('findMergedPull', () => {
  test('finds the merged PR of a merge commit, and nothing for a direct push or an unmerged head', async () => {
    const merge = 'b'.repeat(40)
    const pull = gh.state.pulls[1]
    Object.assign(pull, { state: 'closed', merged: true, mergeCommitSha: merge })
    await expect(findMergedPull({ octokit, owner: 'acme', repo: 'gitops', sha: merge })).resolves.toEqual({
      number: 2,
      url: expect.stringContaining('/pull/2'),
      headSha: SHA,
      headRef: 'peakcast/forecast/svc-2'
    })
    await expect(findMergedPull({ octokit, owner: 'acme', repo: 'gitops', sha: 'c'.repeat(40) })).resolves.toBeUndefined()
    // PR 1 is open with head SHA: associated with the commit but not merged by it
    await expect(findMergedPull({ octokit, owner: 'acme', repo: 'gitops', sha: SHA })).resolves.toBeUndefined()
    expect(gh.violations).toEqual([])
  })
})
