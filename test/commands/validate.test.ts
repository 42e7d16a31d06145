import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VALIDATE_MARKER, validateCommand } from '../../src/commands/validate.js'
import { renderJmx } from '../../src/jmeter/jmx.js'
import { memoryLogger } from '../../src/util/log.js'
import { parseWorkloadYaml } from '../../src/workload/workload-yaml.js'
import type { BareRepo } from '../helpers/bare-repo.js'
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js'
import { gitopsRepo, JMX, lineOf, TOKEN, WORKLOAD } from '../fixtures/e2e/gitops.js'

let repo: BareRepo
let gh: FakeGitHub
let tmp: string
let log: ReturnType<typeof memoryLogger>

beforeEach(async () => {
  repo = await gitopsRepo({ withWorkloads: true })
  gh = await startFakeGitHub({ owner: 'acme', repo: 'gitops', gitDir: repo.bare })
  tmp = mkdtempSync(join(tmpdir(), 'peakcast-validate-cmd-'))
  log = memoryLogger()
})

afterEach(async () => {
  await gh.stop()
  repo.cleanup()
  rmSync(tmp, { recursive: true, force: true })
})

const BRANCH = 'tune-demo-api'
const read = (path: string) => readFileSync(join(repo.clone, path), 'utf8')
const write = (path: string, text: string) => writeFileSync(join(repo.clone, path), text)

/** Commits the working tree on the PR branch, pushes it, and opens (once) the PR in the fake. */
function push(message: string): { number: number; headSha: string } {
  if (repo.git(['rev-parse', '--abbrev-ref', 'HEAD']) !== BRANCH) repo.git(['checkout', '-q', '-b', BRANCH])
  repo.git(['commit', '-q', '-am', message])
  repo.git(['push', '-q', 'origin', BRANCH])
  const headSha = repo.git(['rev-parse', 'HEAD'])
  let pull = gh.state.pulls.find(p => p.head === BRANCH)
  if (!pull) {
    pull = { number: gh.state.pulls.length + 1, state: 'open', title: message, body: null, head: BRANCH, base: 'main', headSha, labels: [], reviewers: [], merged: false, mergeCommitSha: null }
    gh.state.pulls.push(pull)
  }
  pull.headSha = headSha
  return { number: pull.number, headSha }
}

function runOnPull(pr: { number: number; headSha: string }) {
  const eventPath = join(tmp, 'event.json')
  writeFileSync(eventPath, JSON.stringify({ action: 'synchronize', number: pr.number, pull_request: { number: pr.number, head: { sha: pr.headSha, ref: BRANCH }, base: { ref: 'main' } }, repository: { default_branch: 'main' } }))
  const env = {
    GITHUB_REPOSITORY: 'acme/gitops',
    GITHUB_SHA: pr.headSha,
    GITHUB_API_URL: gh.url,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    PEAKCAST_GITHUB_RETRY_BASE_MS: '1',
    PEAKCAST_GITHUB_WRITE_INTERVAL_MS: '0',
    RUNNER_TEMP: tmp
  }
  return validateCommand.run({ config: 'peakcast.yaml', slo: 'slo.yaml', token: TOKEN, fix: false }, { log, cwd: repo.clone, env, now: 0 })
}

/** What a user does after a hand edit: `peakcast validate --fix` in their checkout. */
function fixLocally() {
  return validateCommand.run({ config: 'peakcast.yaml', slo: 'slo.yaml', fix: true }, { log, cwd: repo.clone, env: {}, now: 0 })
}

describe('validate command on pull requests (fake GitHub, real git)', () => {
  test('a hand edit that breaks the schema fails the check with an annotation at file:line', async () => {
    const text = read(WORKLOAD)
    const edited = text.replace(/^ {2}targetRps: .*$/m, '  targetRps: fast')
    write(WORKLOAD, edited)
    const line = lineOf(edited, /^ {2}targetRps: fast$/)
    const outcome = await runOnPull(push('make it fast'))

    expect(outcome.failure).toContain(`${WORKLOAD}:${line}`)
    expect(outcome.outputs?.verdict).toBe('failure')
    expect(gh.state.checkRuns).toHaveLength(1)
    const check = gh.state.checkRuns[0]
    expect(check).toMatchObject({ name: 'peakcast/validate', headSha: repo.git(['rev-parse', 'HEAD']), conclusion: 'failure' })
    expect(check.output.annotations).toEqual([expect.objectContaining({ path: WORKLOAD, start_line: line, annotation_level: 'failure', title: 'test.targetRps' })])
    expect(gh.state.comments).toHaveLength(1)
    expect(gh.state.comments[0].body.startsWith(VALIDATE_MARKER)).toBe(true)
    expect(gh.state.comments[0].body).toContain(`${WORKLOAD}:${line}`)
    expect(gh.violations).toEqual([])
  })

  test('a valid edit passes and explains the change in one comment that the next push edits in place', async () => {
    const base = parseWorkloadYaml(read(WORKLOAD), WORKLOAD)
    const raised = Math.round(base.test.targetRps * 1.1 * 10) / 10
    write(WORKLOAD, read(WORKLOAD).replace(/^ {2}targetRps: .*$/m, `  targetRps: ${raised.toFixed(1)}`))
    expect((await fixLocally()).failure).toBeUndefined()
    // --fix re-rendered the plan from the edited YAML
    expect(read(JMX)).toBe(renderJmx(parseWorkloadYaml(read(WORKLOAD), WORKLOAD)))
    const first = await runOnPull(push('raise the target by 10%'))

    expect(first.failure).toBeUndefined()
    expect(gh.state.checkRuns[0]).toMatchObject({ conclusion: 'success' })
    expect(gh.state.checkRuns[0].output.annotations).toEqual([])
    expect(gh.state.comments).toHaveLength(1)
    const comment = gh.state.comments[0]
    const pct = (((raised - base.test.targetRps) / base.test.targetRps) * 100).toFixed(1)
    expect(comment.body).toContain(`| \`test.targetRps\` | ${base.test.targetRps} | ${raised} | +${pct}% |`)
    expect(comment.body).toContain('Unchanged in effect: `peakcast.yaml`, `slo.yaml`')

    // second push: twice the original target, beyond maxChangePercent (50) → a warning, same comment
    const doubled = Math.round(base.test.targetRps * 2 * 10) / 10
    write(WORKLOAD, read(WORKLOAD).replace(/^ {2}targetRps: .*$/m, `  targetRps: ${doubled.toFixed(1)}`))
    await fixLocally()
    const second = await runOnPull(push('double it'))
    expect(second.failure).toBeUndefined()
    expect(gh.state.comments).toHaveLength(1)
    expect(gh.state.comments[0].id).toBe(comment.id)
    expect(gh.state.comments[0].body).toContain(`| ${base.test.targetRps} | ${doubled} |`)
    expect(gh.state.comments[0].body).toMatch(/test\.targetRps changed by \+\d+\.\d%.*more than the 50% allowed/)
    expect(gh.state.checkRuns).toHaveLength(2)
    expect(gh.state.checkRuns[1]).toMatchObject({ conclusion: 'neutral', headSha: repo.git(['rev-parse', 'HEAD']) })

    expect(gh.violations).toEqual([])
    const seen = [JSON.stringify(gh.requests.map(r => r.body)), JSON.stringify([first, second]), log.lines.join('\n')].join('\n')
    expect(seen).not.toContain(TOKEN)
  })

  test('a YAML edit without re-rendering the JMX fails as stale, naming the .jmx', async () => {
    write(WORKLOAD, read(WORKLOAD).replace(/^ {2}threads: (\d+)$/m, (_, n: string) => `  threads: ${Number(n) + 5}`))
    const outcome = await runOnPull(push('more threads'))
    expect(outcome.failure).toMatch(new RegExp(`${JMX.replace('.', '\\.')}:1: stale: .*peakcast validate --fix`))
    expect(gh.state.checkRuns[0].output.annotations).toEqual([expect.objectContaining({ path: JMX, start_line: 1 })])
  })

  test('an invalid peakcast.yaml is annotated at its line; a comment-only edit is no effective change', async () => {
    const config = read('peakcast.yaml')
    const broken = config.replace(/^(\s+)headroom: [\d.]+/m, '$1headroom: lots')
    write('peakcast.yaml', broken)
    write(WORKLOAD, `# reviewed by the perf team\n${read(WORKLOAD)}`)
    const outcome = await runOnPull(push('break the config'))
    const line = lineOf(broken, /headroom: lots/)
    expect(outcome.failure).toContain(`peakcast.yaml:${line}`)
    expect(gh.state.checkRuns[0].output.annotations).toEqual([expect.objectContaining({ path: 'peakcast.yaml', start_line: line })])
    // the workload only gained a comment (the JMX shifts nothing): not a change in effect, and still valid
    expect(gh.state.comments[0].body).toContain('Unchanged in effect: `slo.yaml`, `workloads/demo-api.yaml`')
  })

  test('off a pull request it validates locally and posts nothing', async () => {
    const outcome = await validateCommand.run({ config: 'peakcast.yaml', slo: 'slo.yaml', fix: false }, { log, cwd: repo.clone, env: {}, now: 0 })
    expect(outcome.failure).toBeUndefined()
    expect(outcome.text).toContain('3 file(s) valid')
    expect(gh.requests).toHaveLength(0)
  })
})
