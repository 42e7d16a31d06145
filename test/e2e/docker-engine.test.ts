/**
 * `command: test` with engine docker, through dist/index.js: the exact `docker run` a GitHub
 * runner executes (a fake `docker` first on PATH records it and plays JMeter), and the
 * message when no daemon answers.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jmeterArgs } from '../../src/jmeter/jmeter-args.js'
import { e2eWorkload, startWorld, type E2eWorld, type Merge } from '../helpers/e2e-world.js'

const FAKE_DOCKER = `#!/usr/bin/env bash
if [ "$1" = info ]; then
  if [ -n "$FAKE_DOCKER_NO_DAEMON" ]; then
    echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
    exit 1
  fi
  echo 28.0.0; exit 0
fi
printf '%s\\n' "$@" > "$FAKE_DOCKER_ARGV"
prev=""; out=""
for a in "$@"; do
  if [ "$prev" = "-v" ]; then case "$a" in *:/out) out="\${a%:/out}";; esac; fi
  prev="$a"
done
cp "$FAKE_DOCKER_JTL" "$out/results.jtl"
echo "fake jmeter" > "$out/jmeter.log"
`

describe('command test, engine docker', () => {
  let dir: string
  let world: E2eWorld
  let merge: Merge
  let env: Record<string, string>

  beforeAll(async () => {
    world = await startWorld()
    dir = mkdtempSync(join(tmpdir(), 'peakcast-docker-'))
    const bin = join(dir, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'docker'), FAKE_DOCKER)
    chmodSync(join(bin, 'docker'), 0o755)
    // a short JTL: one second of ramp-up, then two seconds of 200 ms answers
    const t0 = 1_767_225_600_000
    const rows = Array.from({ length: 30 }, (_, i) => `${t0 + i * 100},200,GET /search,200,true`)
    writeFileSync(join(dir, 'fixture.jtl'), `timeStamp,elapsed,label,responseCode,success\n${rows.join('\n')}\n`)
    merge = world.mergeWorkload(e2eWorkload('http://127.0.0.1:8080', { targetRps: 40, rampUp: 1, duration: 2 }))
    env = { PATH: `${bin}:${process.env.PATH}`, FAKE_DOCKER_ARGV: join(dir, 'argv'), FAKE_DOCKER_JTL: join(dir, 'fixture.jtl') }
  }, 10 * 60_000)

  afterAll(async () => {
    await world?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  afterEach(() => expect(world.github.violations).toEqual([]))

  const run = (inputs: Record<string, string>, extra: Record<string, string> = {}) =>
    world.runTest(merge, { inputs: { engine: 'docker', 'results-dir': 'results', ...inputs }, env: { ...env, ...extra } })

  test('shard 2 of 3 runs exactly the docker command a runner would, at a third of the rate, and leaves results only', async () => {
    const res = await run({ shards: '3', 'shard-index': '2' })
    expect(res.errors).toEqual([])
    expect(res.exitCode).toBe(0)
    const outDir = join(world.repo.clone, 'results', 'demo-api', 'shard-2')
    const argv = readFileSync(join(dir, 'argv'), 'utf8').trimEnd().split('\n')
    const image = argv.indexOf('alpine/jmeter:5.6.3')
    // the docker part, literally: what the runner executes around the image
    expect(argv.slice(0, image + 1)).toEqual([
      'run',
      '--rm',
      '--name',
      expect.stringMatching(/^peakcast-jmeter-\d+-\d+$/),
      '--user',
      `${process.getuid!()}:${process.getgid!()}`,
      '--network',
      'host',
      '-v',
      `${join(world.repo.clone, 'workloads')}:/plan:ro`,
      '-v',
      `${outDir}:/out`,
      '-w',
      '/out',
      'alpine/jmeter:5.6.3'
    ])
    // JMeter's part: the committed plan, results in the mounted directory, this shard's rate and seed
    const jmeter = argv.slice(image + 1)
    expect(jmeter).toEqual(jmeterArgs({ jmx: '/plan/demo-api.jmx', jtl: '/out/results.jtl', log: '/out/jmeter.log', dashboardDir: '/out/dashboard' }, { 'peakcast.rps': 13.333, 'peakcast.seed': 3 }))
    expect(jmeter.slice(0, 11)).toEqual(['-n', '-t', '/plan/demo-api.jmx', '-l', '/out/results.jtl', '-j', '/out/jmeter.log', '-e', '-o', '/out/dashboard', expect.any(String)])
    expect(jmeter).toEqual(expect.arrayContaining(['-Jpeakcast.rps=13.333', '-Jpeakcast.seed=3']))
    expect(res.outputs).toEqual({ 'results-dir': join(world.repo.clone, 'results') })
    expect(JSON.parse(readFileSync(join(outDir, 'run.json'), 'utf8'))).toEqual({
      duration: 2,
      engine: 'docker',
      exitCode: 0,
      rampUp: 1,
      seed: 3,
      service: 'demo-api',
      shard: 2,
      shardRps: 13.333,
      shards: 3,
      targetRps: 40,
      version: 1
    })
    expect(existsSync(join(world.repo.clone, 'results', 'demo-api', 'report.md'))).toBe(false)
    expect(world.github.state.checkRuns).toEqual([])
  })

  test('one shard also judges and reports: 10 of 40 rps fails the throughput objective', async () => {
    const res = await run({})
    expect(res.outputs['p95-ms']).toBe('200')
    // 20 samples after the one-second ramp-up, 100 ms apart
    const report = readFileSync(join(world.repo.clone, 'results', 'demo-api', 'report.md'), 'utf8')
    expect(report).toMatch(/20 requests in 2s · 9\.\d rps of 40\.0 rps target/)
    expect(report).toContain('- ❌ throughput_rps overall = 9.5 rps')
    expect(world.github.state.checkRuns.map(r => r.headSha)).toEqual([merge.sha])
  })

  test('without a Docker daemon the error is clear and suggests engine: local', async () => {
    const res = await run({}, { FAKE_DOCKER_NO_DAEMON: '1' })
    expect(res.exitCode).toBe(1)
    expect(res.errors.join('\n')).toMatch(/no Docker engine is reachable \(Cannot connect to the Docker daemon.*engine: local/)
  })
})
