/**
 * The validate job end to end: dist/index.js on a pull_request event, on a checkout of the PR
 * branch of a copy of template-repo, against the OpenAPI-checked GitHub fake.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderJmx } from '../../src/jmeter/jmx.js'
import { parseWorkloadYaml } from '../../src/workload/workload-yaml.js'
import type { BareRepo } from '../helpers/bare-repo.js'
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js'
import { ensureDist, runAction, type ActionResult } from '../helpers/run-action.js'
import { gitopsRepo, JMX, lineOf, TOKEN, WORKLOAD } from '../fixtures/e2e/gitops.js'

let repo: BareRepo
let gh: FakeGitHub
const results: ActionResult[] = []

beforeAll(async () => {
  ensureDist()
  repo = await gitopsRepo({ withWorkloads: true })
  gh = await startFakeGitHub({ owner: 'acme', repo: 'gitops', gitDir: repo.bare })
}, 300_000)

afterAll(async () => {
  await gh?.stop()
  repo?.cleanup()
})

const read = (path: string) => readFileSync(join(repo.clone, path), 'utf8')
const write = (path: string, text: string) => writeFileSync(join(repo.clone, path), text)

/** Commits the checkout on `branch`, pushes it, opens the PR in the fake once; returns the PR. */
function push(branch: string, message: string) {
  if (repo.git(['rev-parse', '--abbrev-ref', 'HEAD']) !== branch) repo.git(['checkout', '-q', '-B', branch, 'main'])
  repo.git(['commit', '-q', '-am', message])
  repo.git(['push', '-q', '-f', 'origin', branch])
  const headSha = repo.git(['rev-parse', 'HEAD'])
  let pull = gh.state.pulls.find(p => p.head === branch)
  if (!pull) {
    pull = { number: gh.state.pulls.length + 1, state: 'open', title: message, body: null, head: branch, base: 'main', headSha, labels: [], reviewers: [], merged: false, mergeCommitSha: null }
    gh.state.pulls.push(pull)
  }
  pull.headSha = headSha
  return pull
}

async function validateOn(pull: { number: number; headSha: string; head: string }): Promise<ActionResult> {
  const result = await runAction({
    inputs: { command: 'validate', config: 'peakcast.yaml', slo: 'slo.yaml', token: TOKEN },
    workspace: repo.clone,
    eventName: 'pull_request',
    event: { action: 'synchronize', number: pull.number, pull_request: { number: pull.number, head: { sha: pull.headSha, ref: pull.head }, base: { ref: 'main' } }, repository: { default_branch: 'main' } },
    repository: 'acme/gitops',
    sha: pull.headSha,
    apiUrl: gh.url,
    env: { PEAKCAST_GITHUB_RETRY_BASE_MS: '1', PEAKCAST_GITHUB_WRITE_INTERVAL_MS: '0' }
  })
  results.push(result)
  return result
}

describe('validate through dist/index.js', () => {
  test('a hand edit that breaks the schema: failing check and job, naming file:line', async () => {
    const edited = read(WORKLOAD).replace(/^ {2}rampUp: .*$/m, '  rampUp: soon')
    write(WORKLOAD, edited)
    const pull = push('broken-edit', 'ramp up soon')
    const line = lineOf(edited, /^ {2}rampUp: soon$/)
    const result = await validateOn(pull)

    expect(result.exitCode).toBe(1)
    expect(result.errors.join('\n')).toContain(`${WORKLOAD}:${line}`)
    const checks = gh.state.checkRuns.filter(r => r.headSha === pull.headSha)
    expect(checks).toHaveLength(1)
    expect(checks[0]).toMatchObject({ name: 'peakcast/validate', conclusion: 'failure' })
    expect(checks[0].output.annotations).toEqual([expect.objectContaining({ path: WORKLOAD, start_line: line, annotation_level: 'failure' })])
    expect(gh.state.comments.filter(c => c.issueNumber === pull.number)).toHaveLength(1)
    expect(gh.violations).toEqual([])
    repo.git(['checkout', '-q', 'main'])
  })

  test('a valid edit: passing check and one sticky comment that the next push edits in place', async () => {
    const base = parseWorkloadYaml(read(WORKLOAD), WORKLOAD)
    const edit = (threads: number) => {
      write(WORKLOAD, read(WORKLOAD).replace(/^ {2}threads: .*$/m, `  threads: ${threads}`))
      // what `peakcast validate --fix` does; the JMX is the YAML's rendering
      write(JMX, renderJmx(parseWorkloadYaml(read(WORKLOAD), WORKLOAD)))
    }
    edit(base.test.threads + 2)
    const pull = push('more-threads', 'two more threads')
    const firstSha = pull.headSha
    const first = await validateOn(pull)
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    expect(first.outputs.verdict).toBe('success')
    const comments = () => gh.state.comments.filter(c => c.issueNumber === pull.number)
    expect(comments()).toHaveLength(1)
    const id = comments()[0].id
    expect(comments()[0].body).toContain(`| \`test.threads\` | ${base.test.threads} | ${base.test.threads + 2} |`)

    edit(base.test.threads + 3)
    const next = push('more-threads', 'three more threads')
    const second = await validateOn(next)
    expect(second.exitCode).toBe(0)
    expect(comments()).toHaveLength(1)
    expect(comments()[0].id).toBe(id)
    expect(comments()[0].body).toContain(`| \`test.threads\` | ${base.test.threads} | ${base.test.threads + 3} |`)
    const checks = gh.state.checkRuns.filter(r => r.name === 'peakcast/validate' && (r.headSha === firstSha || r.headSha === next.headSha))
    expect(checks.map(c => c.conclusion)).toEqual(['success', 'success'])
    expect(checks.map(c => c.headSha)).toEqual([firstSha, repo.git(['rev-parse', 'HEAD'])])
    // one comment edited in place: a create, then an update
    const commentWrites = gh.requests.filter(r => r.operationId === 'issues/create-comment' || r.operationId === 'issues/update-comment').map(r => r.operationId)
    expect(commentWrites.slice(-2)).toEqual(['issues/create-comment', 'issues/update-comment'])
    expect(gh.violations).toEqual([])
  })

  test('the planted token appears in no request body, output, summary or log line', () => {
    expect(results.length).toBe(3)
    const logs = results.flatMap(r => `${r.stdout}\n${r.stderr}`.split('\n').filter(l => !l.startsWith('::add-mask::')))
    const seen = [...gh.requests.map(r => r.body), ...logs, ...results.map(r => JSON.stringify(r.outputs) + r.summary)].join('\n')
    expect(seen).not.toContain(TOKEN)
  })
})
