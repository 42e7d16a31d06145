import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dockerRunCommand, runJmeterDocker } from '../../src/jmeter/docker-runner.js'
import { JTL_FORMAT_PROPS } from '../../src/jmeter/jmeter-args.js'
import { PeakcastError } from '../../src/util/errors.js'
import { memoryLogger } from '../../src/util/log.js'

describe('dockerRunCommand', () => {
  test('builds the exact docker run argv a GitHub runner executes', () => {
    const argv = dockerRunCommand({
      jmxPath: '/work/repo/workloads/checkout-api.jmx',
      outDir: '/work/out/shard-1',
      uid: 1001,
      gid: 121,
      heap: '2g',
      props: { 'peakcast.rps': 775.5, 'peakcast.seed': 2 },
      containerName: 'peakcast-jmeter-1'
    })
    const formatProps = Object.entries({ ...JTL_FORMAT_PROPS, 'peakcast.rps': '775.5', 'peakcast.seed': '2' })
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `-J${k}=${v}`)
    expect(argv).toEqual([
      'docker', 'run', '--rm',
      '--name', 'peakcast-jmeter-1',
      '--user', '1001:121',
      '--network', 'host',
      '-e', 'HEAP=-Xms2g -Xmx2g',
      '-v', '/work/repo/workloads:/plan:ro',
      '-v', '/work/out/shard-1:/out',
      '-w', '/out',
      'alpine/jmeter:5.6.3',
      '-n', '-t', '/plan/checkout-api.jmx', '-l', '/out/results.jtl', '-j', '/out/jmeter.log',
      '-Lorg.apache.jmeter.threads.JMeterThread=WARN',
      ...formatProps
    ])
  })

  test('optional parts: another image and network, no user, dashboard', () => {
    const argv = dockerRunCommand({ jmxPath: '/p/x.jmx', outDir: '/o', image: 'my/jmeter:1', network: 'ci-net', dashboard: true })
    expect(argv).not.toContain('--user')
    expect(argv).not.toContain('--name')
    expect(argv.slice(argv.indexOf('--network'), argv.indexOf('--network') + 2)).toEqual(['--network', 'ci-net'])
    expect(argv).toContain('my/jmeter:1')
    const i = argv.indexOf('-e')
    expect(argv.slice(i, i + 3)).toEqual(['-e', '-o', '/out/dashboard'])
  })
})

describe('runJmeterDocker without an engine', () => {
  let dir: string
  const saved = process.env.DOCKER_HOST
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'peakcast-docker-'))
    writeFileSync(join(dir, 'x.jmx'), '<jmeterTestPlan/>')
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
    if (saved === undefined) delete process.env.DOCKER_HOST
    else process.env.DOCKER_HOST = saved
  })

  const run = (dockerCommand?: string) =>
    runJmeterDocker({ jmxPath: join(dir, 'x.jmx'), outDir: join(dir, 'out'), timeoutMs: 30_000, log: memoryLogger(), dockerCommand })

  test('no daemon reachable: a PeakcastError suggesting engine: local', async () => {
    // a socket nobody listens on: the docker client is there, the daemon is not
    process.env.DOCKER_HOST = `unix://${join(dir, 'no-daemon.sock')}`
    const err = await run().catch(e => e)
    expect(err).toBeInstanceOf(PeakcastError)
    expect(err.message).toMatch(/no Docker engine is reachable/)
    expect(err.message).toMatch(/engine: local/)
    expect(err.place.field).toBe('engine')
  })

  test('no docker command at all: same error, says it is not installed', async () => {
    const err = await run(join(dir, 'docker')).catch(e => e)
    expect(err).toBeInstanceOf(PeakcastError)
    expect(err.message).toMatch(/no Docker engine is reachable \(the .*docker command is not installed\)/)
  })
})
