import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { backtestCommand } from '../../src/commands/backtest.js'
import { exportTelemetryCommand } from '../../src/commands/export-telemetry.js'
import { proposeModelCommand, RETRAIN_BRANCH } from '../../src/commands/propose-model.js'
import { memoryLogger } from '../../src/util/log.js'
import type { BareRepo } from '../helpers/bare-repo.js'
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js'
import { gitopsRepo, repoRoot, SERVICE, TOKEN } from '../fixtures/e2e/gitops.js'

const NOW = Date.UTC(2020, 2, 30, 6)
const TARGET = 'models/peakcast'

let repo: BareRepo
let gh: FakeGitHub
let tmp: string
let candidate: string
let data: string
let log: ReturnType<typeof memoryLogger>

beforeEach(async () => {
  repo = await gitopsRepo()
  gh = await startFakeGitHub({ owner: 'acme', repo: 'gitops', gitDir: repo.bare })
  tmp = mkdtempSync(join(tmpdir(), 'peakcast-propose-model-'))
  log = memoryLogger()
  // a trained model as train.py leaves it: model.json, the ONNX files, and a booster that stays out of the PR
  candidate = join(tmp, 'candidate')
  cpSync(join(repoRoot, 'models', 'default'), candidate, { recursive: true })
  writeFileSync(join(candidate, 'p50.ubj'), 'booster')
  data = join(tmp, `${SERVICE}.csv`)
  const exported = await exportTelemetryCommand.run({ config: 'peakcast.yaml', service: SERVICE, out: data, weeks: 8 }, { log, cwd: repo.clone, env: {}, now: NOW })
  expect(Number(exported.outputs?.rows)).toBe(8 * 168)
})

afterEach(async () => {
  await gh.stop()
  repo.cleanup()
  rmSync(tmp, { recursive: true, force: true })
})

function run(options: Record<string, string> = {}) {
  const eventPath = join(tmp, 'event.json')
  writeFileSync(eventPath, JSON.stringify({ schedule: '0 4 * * 1', repository: { default_branch: 'main' } }))
  const env = {
    GITHUB_REPOSITORY: 'acme/gitops',
    GITHUB_SHA: repo.git(['rev-parse', 'HEAD']),
    GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: 'https://github.test',
    GITHUB_EVENT_NAME: 'schedule',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_RUN_ID: '91',
    PEAKCAST_GITHUB_RETRY_BASE_MS: '1',
    PEAKCAST_GITHUB_WRITE_INTERVAL_MS: '0',
    RUNNER_TEMP: tmp
  }
  return proposeModelCommand.run(
    { config: 'peakcast.yaml', token: TOKEN, candidate, target: TARGET, data, 'warmup-weeks': 4, ...options },
    { log, cwd: repo.clone, env, now: NOW }
  )
}

/** bytes of a file on a branch of the bare repository */
const showBytes = (branch: string, path: string) => execFileSync('git', ['show', `refs/heads/${branch}:${path}`], { cwd: repo.bare, maxBuffer: 1 << 28 })
const writes = () => gh.requests.filter(r => r.method !== 'GET')

describe('propose-model against the fake GitHub and a real bare repository', () => {
  test('a new model opens one PR with the comparison; the same candidate again changes nothing', async () => {
    const mainSha = repo.branchSha('main')
    const meta = JSON.parse(readFileSync(join(candidate, 'model.json'), 'utf8')) as { id: string; files: Record<string, string>; trainingWindow: { from: string; to: string }[] }

    const first = await run()
    expect(first.outputs?.['pull-request-operation']).toBe('created')
    expect(first.outputs?.['model-id']).toBe(meta.id)
    expect(gh.state.pulls).toHaveLength(1)
    const pull = gh.state.pulls[0]
    expect(pull).toMatchObject({ state: 'open', head: RETRAIN_BRANCH, base: 'main', labels: ['peakcast', 'workload'] })
    expect(first.outputs?.['pull-request-number']).toBe(String(pull.number))

    // the branch holds model.json and the ONNX files byte for byte, and nothing else of the candidate
    for (const name of ['model.json', ...Object.keys(meta.files)]) {
      expect(Buffer.compare(showBytes(RETRAIN_BRANCH, `${TARGET}/${name}`), readFileSync(join(candidate, name)))).toBe(0)
    }
    expect(execFileSync('git', ['ls-tree', '-r', '--name-only', RETRAIN_BRANCH, TARGET], { cwd: repo.bare, encoding: 'utf8' }).trim().split('\n').sort()).toEqual(
      ['model.json', ...Object.keys(meta.files)].map(n => `${TARGET}/${n}`).sort()
    )
    expect(repo.branchSha('main')).toBe(mainSha)

    // the candidate is the model the service already uses (the shipped default): every metric is the same
    const body = pull.body ?? ''
    expect(first.outputs?.recommendation).toBe('same')
    expect(body).toContain('**No gain**')
    expect(body).toContain(meta.id)
    for (const w of meta.trainingWindow) expect(body).toContain(`| ${w.from} | ${w.to} |`)
    const rows = body.split('\n').filter(l => /^\| (peak|P90|WAPE)/.test(l))
    expect(rows).toHaveLength(5)
    for (const r of rows) {
      const [, , , current, cand] = r.split('|').map(s => s.trim())
      expect(cand).toBe(current)
    }
    // the model column agrees with the backtest command run on the same export
    const bt = await backtestCommand({ data, warmupWeeks: 4 }, { log: memoryLogger(), cwd: tmp, env: {}, now: NOW })
    const model = bt.result.forecasters.find(f => f.id === meta.id)
    expect(rows[0].split('|')[4].trim()).toBe(model?.metrics.peakHourMaeH.toFixed(2))
    expect(rows[4].split('|')[2].trim()).toBe(bt.result.forecasters[0].metrics.wape.toFixed(1))
    expect(body).toContain(`(${bt.result.origins.length} weekly origins)`)

    // the same candidate again: no request that writes
    const before = writes().length
    const second = await run()
    expect(second.outputs?.['pull-request-operation']).toBe('none')
    expect(second.outputs?.['pull-request-number']).toBe(String(pull.number))
    expect(writes()).toHaveLength(before)
    expect(gh.state.pulls).toHaveLength(1)

    expect(gh.violations).toEqual([])
    const seen = [JSON.stringify(gh.requests.map(r => r.body)), JSON.stringify([first, second]), log.lines.join('\n')].join('\n')
    expect(seen).not.toContain(TOKEN)
  })

  test('a candidate already committed at the target proposes nothing', async () => {
    cpSync(candidate, join(repo.clone, TARGET), { recursive: true, filter: src => !src.endsWith('.ubj') })
    repo.git(['add', '-A', TARGET])
    repo.git(['commit', '-q', '-m', 'model'])
    repo.git(['push', '-q', 'origin', 'main'])
    const outcome = await run()
    expect(outcome.outputs?.['pull-request-operation']).toBe('none')
    expect(gh.state.pulls).toHaveLength(0)
    expect(writes()).toHaveLength(0)
    expect(repo.branchSha(RETRAIN_BRANCH)).toBeNull()
  })

  test('a corrupt candidate is refused before anything is proposed, naming the file', async () => {
    writeFileSync(join(candidate, 'p90.onnx'), 'not a model')
    await expect(run()).rejects.toThrow(/p90\.onnx.*sha256.*does not match/s)
    expect(writes()).toHaveLength(0)
    expect(repo.branchSha(RETRAIN_BRANCH)).toBeNull()
  })

  test('off a runner the model is copied into the checkout', async () => {
    const outcome = await proposeModelCommand.run({ config: 'peakcast.yaml', candidate, target: TARGET, data, 'warmup-weeks': 4 }, { log, cwd: repo.clone, env: {}, now: NOW })
    expect(outcome.outputs?.['pull-request-operation']).toBeUndefined()
    expect(readFileSync(join(repo.clone, TARGET, 'p50.onnx')).equals(readFileSync(join(candidate, 'p50.onnx')))).toBe(true)
    expect(() => readFileSync(join(repo.clone, TARGET, 'p50.ubj'))).toThrow()
    expect(gh.requests).toHaveLength(0)
  })
})
