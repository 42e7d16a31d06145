import { GitHistoryStore } from '../../src/slo/history-store.js'
import { Git } from '../../src/github/git.js'
import { HISTORY_BRANCH, historyPath, parseHistory, type HistoryRecord } from '../../src/slo/history.js'
import { memoryLogger } from '../../src/util/log.js'
import { createBareRepo, type BareRepo } from '../helpers/bare-repo.js'
import { join } from 'node:path'

const stats = { count: 10, errors: 0, errorRate: 0, min: 1, mean: 2, p50: 2, p90: 3, p95: 3, p99: 4, max: 4, throughputRps: 5 }
const record = (runId: string, verdict: HistoryRecord['verdict'] = 'pass'): HistoryRecord => ({
  version: 1,
  service: 'demo-api',
  runId,
  commit: 'a'.repeat(40),
  time: '2026-01-01T00:00:00.000Z',
  verdict,
  durationMs: 1000,
  total: stats,
  labels: { 'GET /x': stats }
})

describe('GitHistoryStore on the peakcast/history branch', () => {
  let repo: BareRepo
  let second: string

  beforeAll(() => {
    repo = createBareRepo({ files: { 'peakcast.yaml': 'version: 1\n' } })
    second = join(repo.root, 'second')
    repo.git(['clone', '-q', repo.bare, second], repo.root)
  })
  afterAll(() => repo.cleanup())

  const store = (dir: string) => new GitHistoryStore(new Git(dir, memoryLogger()), { base: 'main', log: memoryLogger(), backoffMs: () => 10 })
  const onBranch = () => parseHistory(repo.readFile(HISTORY_BRANCH, historyPath('demo-api')) ?? '', 'x').map(r => r.runId)

  test('the first record creates an orphan branch holding only the history file; the checkout is untouched', async () => {
    const s = store(repo.clone)
    expect(await s.read('demo-api')).toEqual([])
    await s.append(record('r1'))
    expect(onBranch()).toEqual(['r1'])
    expect(repo.git(['rev-list', '--count', HISTORY_BRANCH], repo.bare)).toBe('1')
    expect(repo.git(['ls-tree', '-r', '--name-only', HISTORY_BRANCH], repo.bare)).toBe(historyPath('demo-api'))
    expect(repo.git(['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('main')
    expect(repo.git(['status', '--porcelain'])).toBe('')
    expect((await s.read('demo-api')).map(r => r.runId)).toEqual(['r1'])
  })

  test('two jobs appending at once both land (the loser re-fetches and retries); a rerun replaces its record', async () => {
    await Promise.all([store(repo.clone).append(record('r2')), store(second).append(record('r3', 'fail'))])
    expect(onBranch().sort()).toEqual(['r1', 'r2', 'r3'])
    await store(second).append(record('r2', 'fail'))
    expect(onBranch()).toHaveLength(3)
    expect((await store(repo.clone).read('demo-api')).find(r => r.runId === 'r2')?.verdict).toBe('fail')
    // every append is one commit on top of the last: nothing was overwritten
    expect(repo.git(['rev-list', '--count', HISTORY_BRANCH], repo.bare)).toBe('4')
  })

  test('a push that fails for another reason is reported with what to do', async () => {
    const s = new GitHistoryStore(new Git(repo.clone, memoryLogger()), { base: HISTORY_BRANCH, log: memoryLogger() })
    await expect(s.append(record('r9'))).rejects.toThrow(/could not record the run on peakcast\/history.*refusing to push to the base branch.*contents: write/)
  })
})
