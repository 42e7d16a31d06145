import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals'
import { createOctokit } from '../../src/github/octokit.js'
import { memoryLogger } from '../../src/util/log.js'
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js'

let gh: FakeGitHub
beforeAll(async () => {
  gh = await startFakeGitHub()
})
afterAll(() => gh.stop())
beforeEach(() => {
  gh.requests.length = 0
  gh.violations.length = 0
  gh.clearFaults()
})

const BASE_MS = 10
const client = (retries = 3) => {
  const log = memoryLogger()
  return { log, octokit: createOctokit('ghs_test', { baseUrl: gh.url, log, retries, retryAfterBaseMs: BASE_MS, writeIntervalMs: 0 }) }
}
const repoGets = () => gh.requests.filter(r => r.operationId === 'repos/get')

describe('createOctokit against the OpenAPI-checked fake', () => {
  test('a secondary rate limit (403, retry-after) is waited out and retried', async () => {
    const { octokit, log } = client()
    gh.injectFault(
      { operationId: 'repos/get' },
      { status: 403, headers: { 'retry-after': '30', 'x-ratelimit-remaining': '0' }, body: { message: 'You have exceeded a secondary rate limit.' } },
      1
    )
    const t0 = Date.now()
    const { data } = await octokit.rest.repos.get({ owner: 'acme', repo: 'gitops' })
    expect(data.full_name).toBe('acme/gitops')
    // retry-after 30 "seconds" at 10 ms each
    expect(Date.now() - t0).toBeGreaterThanOrEqual(30 * BASE_MS)
    expect(repoGets().map(r => r.status)).toEqual([403, 200])
    expect(log.lines.some(l => /secondary rate limit.*retrying after 30 s/.test(l))).toBe(true)
    expect(gh.violations).toEqual([])
  })

  test('a primary rate limit (403, x-ratelimit-remaining 0) is retried after the reset', async () => {
    const { octokit } = client()
    const reset = String(Math.floor(Date.now() / 1000))
    gh.injectFault({ operationId: 'repos/get' }, { status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, body: { message: 'API rate limit exceeded' } }, 2)
    await octokit.rest.repos.get({ owner: 'acme', repo: 'gitops' })
    expect(repoGets().map(r => r.status)).toEqual([403, 403, 200])
  })

  test('502 is retried; a persistent 502 gives up after the configured retries', async () => {
    const { octokit } = client(2)
    gh.injectFault({ operationId: 'repos/get' }, { status: 502, body: { message: 'Bad Gateway' } }, 1)
    await octokit.rest.repos.get({ owner: 'acme', repo: 'gitops' })
    expect(repoGets().map(r => r.status)).toEqual([502, 200])

    gh.requests.length = 0
    gh.injectFault({ operationId: 'repos/get' }, { status: 502, body: { message: 'Bad Gateway' } }, Infinity)
    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'gitops' })).rejects.toMatchObject({ status: 502 })
    expect(repoGets()).toHaveLength(3)
  })

  test('422 (validation) is not retried', async () => {
    const { octokit } = client()
    gh.injectFault({ operationId: 'repos/get' }, { status: 422, body: { message: 'Validation Failed' } }, Infinity)
    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'gitops' })).rejects.toMatchObject({ status: 422 })
    expect(repoGets()).toHaveLength(1)
  })

  test('requests the description does not allow are answered 4xx and recorded as violations', async () => {
    const { octokit } = client()
    // the typed API would not compile these: go through an untyped view of the same request function
    const raw = octokit.request as unknown as (route: string, params: Record<string, unknown>) => Promise<unknown>
    // pulls.create without head
    await expect(raw('POST /repos/{owner}/{repo}/pulls', { owner: 'acme', repo: 'gitops', title: 't', base: 'main' })).rejects.toMatchObject({ status: 422 })
    expect(gh.violations).toHaveLength(1)
    expect(gh.violations[0]).toMatch(/pulls\/create.*head/)
    // a wrong enum value in the query
    await expect(raw('GET /repos/{owner}/{repo}/pulls', { owner: 'acme', repo: 'gitops', state: 'merged' })).rejects.toMatchObject({ status: 422 })
    expect(gh.violations[1]).toMatch(/pulls\/list.*state/)
    // a route GitHub does not have
    await expect(raw('GET /repos/{owner}/{repo}/forecasts', { owner: 'acme', repo: 'gitops' })).rejects.toMatchObject({ status: 404 })
    expect(gh.violations[2]).toMatch(/unknown route: GET \/repos\/acme\/gitops\/forecasts/)
    // a valid GitHub request the fake has no implementation for is not silently accepted either
    await expect(octokit.rest.repos.listBranches({ owner: 'acme', repo: 'gitops' })).rejects.toMatchObject({ status: 501 })
    expect(gh.violations[3]).toMatch(/not implemented by the fake: repos\/list-branches/)
  })
})
