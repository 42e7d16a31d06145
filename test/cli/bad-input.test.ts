/**
 * Bad input through the terminal front end: a clear message naming the place, a non-zero exit,
 * and nothing half-written.
 */
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { main } from '../../src/terminal.js'

const root = resolve(import.meta.dirname, '../..')
const fixtures = join(root, 'test/fixtures/telemetry')

async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  const chunks: string[] = []
  const write = process.stderr.write.bind(process.stderr)
  const out = process.stdout.write.bind(process.stdout)
  process.stderr.write = ((c: string | Uint8Array) => (chunks.push(String(c)), true)) as typeof process.stderr.write
  process.stdout.write = ((c: string | Uint8Array) => (chunks.push(String(c)), true)) as typeof process.stdout.write
  try {
    const code = await main(argv)
    return { code, stderr: chunks.join('') }
  } finally {
    process.stderr.write = write
    process.stdout.write = out
  }
}

describe('bad input gets a clear error, a non-zero exit and no output', () => {
  let dir: string
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'peakcast-bad-'))))
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('an empty telemetry file names the file', async () => {
    const out = join(dir, 'matrix.csv')
    const r = await run(['features', '--data', join(fixtures, 'empty.csv'), '--out', out])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/empty\.csv/)
    expect(readdirSync(dir)).toEqual([])
  })

  it('a malformed CSV row names file and line', async () => {
    const r = await run(['backtest', '--data', join(fixtures, 'bad-number.csv')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/bad-number\.csv:\d+/)
  })

  it('a series shorter than two weeks says how long it is and what is needed', async () => {
    const r = await run(['backtest', '--data', join(fixtures, 'generic.csv')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/2 weeks|two weeks|14 days/)
  })

  it('an unknown config key names file, line and key, and the demo writes nothing', async () => {
    const cfgDir = join(dir, 'cfg')
    cpSync(join(root, 'template-repo'), cfgDir, { recursive: true })
    const path = join(cfgDir, 'peakcast.yaml')
    const text = readFileSync(path, 'utf8').replace('    headroom: 1.1', '    headroom: 1.1\n    headrooom: 2')
    writeFileSync(path, text)
    const line = text.split('\n').findIndex(l => l.includes('headrooom')) + 1
    const out = join(dir, 'out')
    const r = await run(['demo', '--config', path, '--out', out])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`peakcast.yaml:${line}`)
    expect(r.stderr).toMatch(/headrooom/)
    expect(existsSync(out)).toBe(false)
  })

  it('an unknown option is refused with the list of known ones', async () => {
    copyFileSync(join(fixtures, 'nab.csv'), join(dir, 'nab.csv'))
    const r = await run(['backtest', '--data', join(dir, 'nab.csv'), '--warmup', '3'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/unknown option --warmup; known: .*--warmup-weeks/)
  })
})
