/**
 * The nightly forecast job end to end: dist/index.js run as the runner runs it, on a checkout
 * of a copy of template-repo whose origin is a real bare repository, against the
 * OpenAPI-checked GitHub fake.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseWorkloadYaml } from '../../src/workload/workload-yaml.js'
import type { BareRepo } from '../helpers/bare-repo.js'
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js'
import { ensureDist, runAction, type ActionResult } from '../helpers/run-action.js'
import { BRANCH, CSV, forecastStart, gitopsRepo, JMX, NEWRELIC_KEY, scaledCsv, SERVICE, TOKEN, WORKLOAD } from '../fixtures/e2e/gitops.js'

let repo: BareRepo
let gh: FakeGitHub
let csv: string
const results: ActionResult[] = []

beforeAll(async () => {
  ensureDist()
  // main holds the workloads of the template's telemetry: the state after the last merged forecast
  repo = await gitopsRepo({ withWorkloads: true })
  gh = await startFakeGitHub({ owner: 'acme', repo: 'gitops', gitDir: repo.bare })
  csv = readFileSync(join(repo.clone, CSV), 'utf8')
}, 300_000)

afterAll(async () => {
  await gh?.stop()
  repo?.cleanup()
})

async function nightly(): Promise<ActionResult> {
  const result = await runAction({
    inputs: { command: 'forecast', config: 'peakcast.yaml', services: '', token: TOKEN, 'newrelic-api-key': NEWRELIC_KEY },
    workspace: repo.clone,
    eventName: 'schedule',
    event: { schedule: '17 3 * * *', repository: { default_branch: 'main' } },
    repository: 'acme/gitops',
    sha: repo.git(['rev-parse', 'HEAD']),
    apiUrl: gh.url,
    runId: String(results.length + 100),
    env: { PEAKCAST_GITHUB_RETRY_BASE_MS: '1', PEAKCAST_GITHUB_WRITE_INTERVAL_MS: '0' }
  })
  results.push(result)
  return result
}

const writes = () => gh.requests.filter(r => r.method !== 'GET').length

/** Everything Peakcast wrote or printed; `::add-mask::` lines are the runner's masking protocol, never shown. */
function everythingSeen(): string {
  const logs = results.flatMap(r => [r.stdout, r.stderr].join('\n').split('\n').filter(l => !l.startsWith('::add-mask::')))
  return [...gh.requests.map(r => r.body), ...logs, ...results.map(r => JSON.stringify(r.outputs) + r.summary)].join('\n')
}

describe('forecast through dist/index.js', () => {
  test('one PR per service: created, no-op, updated in place, closed; a check run on each new head', async () => {
    const mainSha = repo.branchSha('main')
    const committed = parseWorkloadYaml(readFileSync(join(repo.clone, WORKLOAD), 'utf8'), WORKLOAD)

    writeFileSync(join(repo.clone, CSV), scaledCsv(csv, 2))
    const created = await nightly()
    expect(created.errors).toEqual([])
    expect(created.exitCode).toBe(0)
    expect(created.outputs['pull-request-operation']).toBe('created')
    expect(gh.state.pulls).toHaveLength(1)
    const pull = gh.state.pulls[0]
    expect(pull).toMatchObject({ state: 'open', head: BRANCH, base: 'main', labels: ['peakcast', 'workload'] })
    expect(created.outputs['pull-request-number']).toBe(String(pull.number))
    expect(created.outputs['pull-request-url']).toBe(`https://github.test/acme/gitops/pull/${pull.number}`)
    const proposed = parseWorkloadYaml(repo.readFile(BRANCH, WORKLOAD) ?? '', WORKLOAD)
    expect(repo.readFile(BRANCH, JMX)).toContain('<jmeterTestPlan')
    expect(created.outputs['target-rps']).toBe(proposed.test.targetRps.toFixed(1))
    expect(created.outputs['peak-rps']).toBe(proposed.forecast.peak.rps.p90.toFixed(1))
    expect(pull.title).toBe(`peakcast: ${SERVICE} workload for week of ${forecastStart(csv).toISOString().slice(0, 10)} (target ${proposed.test.targetRps.toFixed(1)} rps)`)
    for (const section of ['### Workload changes', '### Forecast by day (UTC)', '```mermaid', '### Anomalies excluded from training', `Model \`${proposed.forecast.model}\``]) {
      expect(pull.body).toContain(section)
    }
    expect(pull.body).toContain(`| \`test.targetRps\` | ${committed.test.targetRps} | ${proposed.test.targetRps} |`)
    expect(gh.state.checkRuns).toHaveLength(1)
    expect(gh.state.checkRuns[0]).toMatchObject({ name: `peakcast/validate (${SERVICE})`, headSha: repo.branchSha(BRANCH), conclusion: 'neutral', status: 'completed' })
    expect(gh.state.checkRuns[0].output.summary).toMatch(/test\.targetRps changed by \+/)
    expect(created.summary).toContain(`created [#${pull.number}]`)
    // the branch is main + exactly one commit touching only the two workload files
    expect(repo.git(['rev-parse', `${BRANCH}^`], repo.bare)).toBe(mainSha)
    expect(repo.git(['diff', '--name-only', 'main', BRANCH], repo.bare).split('\n').sort()).toEqual([JMX, WORKLOAD])

    const before = writes()
    const again = await nightly()
    expect(again.exitCode).toBe(0)
    expect(again.outputs['pull-request-operation']).toBe('none')
    expect(writes()).toBe(before)

    writeFileSync(join(repo.clone, CSV), scaledCsv(csv, 1.2))
    const updated = await nightly()
    expect(updated.exitCode).toBe(0)
    expect(updated.outputs['pull-request-operation']).toBe('updated')
    expect(updated.outputs['pull-request-number']).toBe(String(pull.number))
    expect(gh.state.pulls).toHaveLength(1)
    expect(gh.state.checkRuns).toHaveLength(2)
    expect(gh.state.checkRuns[1]).toMatchObject({ headSha: repo.branchSha(BRANCH), conclusion: 'success' })

    writeFileSync(join(repo.clone, CSV), csv)
    const closed = await nightly()
    expect(closed.exitCode).toBe(0)
    expect(closed.outputs['pull-request-operation']).toBe('closed')
    expect(pull.state).toBe('closed')
    expect(repo.branchSha(BRANCH)).toBeNull()
    expect(repo.branchSha('main')).toBe(mainSha)
    expect(gh.violations).toEqual([])
  })

  test('a persistent 500 on pulls.create: the job fails saying what happened, main untouched', async () => {
    const mainSha = repo.branchSha('main')
    writeFileSync(join(repo.clone, CSV), scaledCsv(csv, 1.5))
    gh.injectFault({ operationId: 'pulls/create' }, { status: 500, body: { message: 'Server Error' } }, Infinity)
    try {
      const failed = await nightly()
      expect(failed.exitCode).toBe(1)
      expect(failed.errors.join('\n')).toMatch(new RegExp(`${SERVICE}: pull request for ${BRANCH}: creating the pull request failed: .*base branch main is unchanged`))
      expect(repo.branchSha('main')).toBe(mainSha)
      expect(repo.git(['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('main')
      expect(gh.state.pulls.filter(p => p.state === 'open')).toHaveLength(0)
    } finally {
      gh.clearFaults()
      writeFileSync(join(repo.clone, CSV), csv)
    }
    expect(gh.violations).toEqual([])
  })

  test('the planted token and New Relic key appear in no request body, output, summary or log line', () => {
    // runs last: covers every run above
    expect(results.length).toBeGreaterThanOrEqual(5)
    const seen = everythingSeen()
    expect(seen).not.toContain(TOKEN)
    expect(seen).not.toContain(NEWRELIC_KEY)
    // the runner is told to mask the token
    expect(results[0].stdout).toContain(`::add-mask::${TOKEN}`)
  })
})
