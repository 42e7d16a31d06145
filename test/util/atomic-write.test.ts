import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomic, writeFilesAtomic } from '../../src/util/atomic-write.js'

describe('atomic writes', () => {
  let dir: string
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'peakcast-aw-'))))
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('replaces a file and leaves no temp files behind', () => {
    const f = join(dir, 'a', 'w.yaml')
    writeFileAtomic(f, 'one')
    writeFileAtomic(f, 'two')
    expect(readFileSync(f, 'utf8')).toBe('two')
    expect(readdirSync(join(dir, 'a'))).toEqual(['w.yaml'])
  })

  it('leaves every target untouched when one of several files cannot be staged', () => {
    const good = join(dir, 'good.yaml')
    writeFileSync(good, 'old')
    // a directory where a file's parent should be: staging the second file fails
    writeFileSync(join(dir, 'blocker'), 'x')
    expect(() => writeFilesAtomic([{ path: good, data: 'new' }, { path: join(dir, 'blocker', 'bad.jmx'), data: 'y' }])).toThrow()
    expect(readFileSync(good, 'utf8')).toBe('old')
    expect(readdirSync(dir).sort()).toEqual(['blocker', 'good.yaml'])
  })
})
