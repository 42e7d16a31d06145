import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { forecastCommand } from '../../src/commands/forecast.js'
import { renderJmx } from '../../src/jmeter/jmx.js'
import { memoryLogger } from '../../src/util/log.js'
import { parseWorkloadYaml } from '../../src/workload/workload-yaml.js'
import type { BareRepo } from '../helpers/bare-repo.js'
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js'
import { BRANCH, CSV, forecastStart, gitopsRepo, JMX, NEWRELIC_KEY, scaledCsv, SERVICE, TOKEN, WORKLOAD } from '../fixtures/e2e/gitops.js'

let repo: BareRepo
let gh: FakeGitHub
let tmp: string
let log: ReturnType<typeof memoryLogger>

beforeEach(async () => {
  // main holds the workloads forecast from the template's telemetry: the state after the last merge
  repo = await gitopsRepo({ withWorkloads: true })
  gh = await startFakeGitHub({ owner: 'acme', repo: 'gitops', gitDir: repo.bare })
  tmp = mkdtempSync(join(tmpdir(), 'peakcast-forecast-cmd-'))
  log = memoryLogger()
})

afterEach(async () => {
  await gh.stop()
  repo.cleanup()
  rmSync(tmp, { recursive: true, force: true })
})

function run(extra: Record<string, string> = {}) {
  const eventPath = join(tmp, 'event.json')
  writeFileSync(eventPath, JSON.stringify({ schedule: '0 3 * * *', repository: { default_branch: 'main' } }))
  const env = {
    GITHUB_REPOSITORY: 'acme/gitops',
    GITHUB_SHA: repo.git(['rev-parse', 'HEAD']),
    GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: 'https://github.test',
    GITHUB_EVENT_NAME: 'schedule',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_RUN_ID: '77',
    PEAKCAST_GITHUB_RETRY_BASE_MS: '1',
    PEAKCAST_GITHUB_WRITE_INTERVAL_MS: '0',
    RUNNER_TEMP: tmp,
    ...extra
  }
  return forecastCommand.run({ config: 'peakcast.yaml', token: TOKEN, 'newrelic-api-key': NEWRELIC_KEY }, { log, cwd: repo.clone, env, now: Date.UTC(2020, 2, 30, 6) })
}

const writes = () => gh.requests.filter(r => r.method !== 'GET')

describe('forecast command against the fake GitHub and a real bare repository', () => {
  test('more traffic opens one PR with a check; same data: nothing; other data: same PR updated; data back: closed', async () => {
    const mainSha = repo.branchSha('main')
    const csv = readFileSync(join(repo.clone, CSV), 'utf8')
    const committed = parseWorkloadYaml(readFileSync(join(repo.clone, WORKLOAD), 'utf8'), WORKLOAD)

    // the same telemetry as the committed workload: nothing to propose
    const unchanged = await run()
    expect(unchanged.outputs?.['pull-request-operation']).toBe('none')
    expect(writes()).toHaveLength(0)

    writeFileSync(join(repo.clone, CSV), scaledCsv(csv, 2))
    const first = await run()
    expect(first.failure).toBeUndefined()
    expect(first.outputs?.['pull-request-operation']).toBe('created')
    expect(gh.state.pulls).toHaveLength(1)
    const pull = gh.state.pulls[0]
    expect(pull).toMatchObject({ state: 'open', head: BRANCH, base: 'main', labels: ['peakcast', 'workload'] })
    expect(first.outputs?.['pull-request-number']).toBe(String(pull.number))
    expect(first.outputs?.['pull-request-url']).toMatch(new RegExp(`/pull/${pull.number}$`))

    // the branch holds a valid workload whose JMX is what the YAML renders to
    const w = parseWorkloadYaml(repo.readFile(BRANCH, WORKLOAD) ?? '', WORKLOAD)
    expect(repo.readFile(BRANCH, JMX)).toBe(renderJmx(w))
    expect(w.test.targetRps).toBeCloseTo(Math.round(w.forecast.peak.rps.p90 * w.test.headroom * 10) / 10, 5)
    expect(w.test.targetRps).toBeGreaterThan(committed.test.targetRps * 1.5)
    expect(first.outputs?.['target-rps']).toBe(w.test.targetRps.toFixed(1))
    expect(first.outputs?.['peak-rps']).toBe(w.forecast.peak.rps.p90.toFixed(1))
    const week = forecastStart(csv).toISOString().slice(0, 10)
    expect(pull.title).toBe(`peakcast: ${SERVICE} workload for week of ${week} (target ${w.test.targetRps.toFixed(1)} rps)`)
    for (const section of ['### Workload changes', '### Forecast by day (UTC)', '```mermaid', '### Anomalies excluded from training', w.forecast.model]) {
      expect(pull.body).toContain(section)
    }
    // old → new of the target, and the bound warning that names it
    expect(pull.body).toContain(`| \`test.targetRps\` | ${committed.test.targetRps} | ${w.test.targetRps} |`)
    expect(pull.body).toMatch(/\[!WARNING\]\n> test\.targetRps changed by \+\d+\.\d%/)
    expect(repo.branchSha('main')).toBe(mainSha)

    expect(gh.state.checkRuns).toHaveLength(1)
    const check = gh.state.checkRuns[0]
    expect(check).toMatchObject({ name: `peakcast/validate (${SERVICE})`, headSha: repo.branchSha(BRANCH), conclusion: 'neutral' })
    expect(check.output.summary).toMatch(/test\.targetRps changed by \+\d+\.\d%/)

    // same data again: no request that writes
    const before = writes().length
    const second = await run()
    expect(second.outputs?.['pull-request-operation']).toBe('none')
    expect(second.outputs?.['pull-request-number']).toBe(String(pull.number))
    expect(writes()).toHaveLength(before)

    // other data: the same PR is updated in place, within the bound this time
    writeFileSync(join(repo.clone, CSV), scaledCsv(csv, 1.2))
    const third = await run()
    expect(third.outputs?.['pull-request-operation']).toBe('updated')
    expect(third.outputs?.['pull-request-number']).toBe(String(pull.number))
    expect(gh.state.pulls).toHaveLength(1)
    const w2 = parseWorkloadYaml(repo.readFile(BRANCH, WORKLOAD) ?? '', WORKLOAD)
    expect(w2.test.targetRps).toBeLessThan(w.test.targetRps)
    expect(pull.title).toContain(`target ${w2.test.targetRps.toFixed(1)} rps`)
    expect(gh.state.checkRuns).toHaveLength(2)
    expect(gh.state.checkRuns[1]).toMatchObject({ headSha: repo.branchSha(BRANCH), conclusion: 'success' })
    expect(repo.branchSha('main')).toBe(mainSha)

    // the data is back: nothing to propose any more
    writeFileSync(join(repo.clone, CSV), csv)
    const fourth = await run()
    expect(fourth.outputs?.['pull-request-operation']).toBe('closed')
    expect(pull.state).toBe('closed')
    expect(repo.branchSha(BRANCH)).toBeNull()
    expect(repo.branchSha('main')).toBe(mainSha)

    expect(gh.violations).toEqual([])
    const seen = [JSON.stringify(gh.requests.map(r => r.body)), JSON.stringify([unchanged, first, second, third, fourth]), log.lines.join('\n')].join('\n')
    expect(seen).not.toContain(TOKEN)
    expect(seen).not.toContain(NEWRELIC_KEY)
  })

  test('a persistent 500 on pulls.create fails with what happened, and main is untouched', async () => {
    const mainSha = repo.branchSha('main')
    writeFileSync(join(repo.clone, CSV), scaledCsv(readFileSync(join(repo.clone, CSV), 'utf8'), 2))
    gh.injectFault({ operationId: 'pulls/create' }, { status: 500, body: { message: 'Server Error' } }, Infinity)
    const outcome = await run()
    expect(outcome.failure).toMatch(/creating the pull request failed/)
    expect(outcome.failure).toMatch(/base branch main is unchanged/)
    expect(outcome.failure).toContain(SERVICE)
    expect(repo.branchSha('main')).toBe(mainSha)
    // the checkout stays on main with only the test's own telemetry edit
    expect(repo.git(['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('main')
    expect(repo.git(['status', '--porcelain'])).toBe(`M ${CSV}`)
    // retried before giving up: 1 + 3 retries
    expect(gh.requests.filter(r => r.operationId === 'pulls/create')).toHaveLength(4)
    expect(gh.state.pulls).toHaveLength(0)
    expect(gh.violations).toEqual([])
    expect(`${outcome.failure}\n${log.lines.join('\n')}`).not.toContain(TOKEN)
  })

  test('off a runner (no token) the workloads are written into the checkout and nothing is pushed', async () => {
    const outcome = await forecastCommand.run({ config: 'peakcast.yaml', services: SERVICE }, { log, cwd: repo.clone, env: {}, now: Date.UTC(2020, 2, 30) })
    expect(outcome.failure).toBeUndefined()
    const yaml = readFileSync(join(repo.clone, WORKLOAD), 'utf8')
    expect(readFileSync(join(repo.clone, JMX), 'utf8')).toBe(renderJmx(parseWorkloadYaml(yaml, WORKLOAD)))
    expect(outcome.outputs?.['pull-request-operation']).toBeUndefined()
    expect(repo.branchSha(BRANCH)).toBeNull()
    expect(gh.requests).toHaveLength(0)
  })

  test('an unknown service in --services names the ones the config has', async () => {
    await expect(forecastCommand.run({ config: 'peakcast.yaml', services: 'nope' }, { log, cwd: repo.clone, env: {}, now: 0 })).rejects.toThrow(/nope not in .*peakcast\.yaml; it has demo-api/)
  })
})
