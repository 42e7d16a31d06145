import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'

const root = resolve(import.meta.dirname, '../..')
const dirs = ['workflows', '.github/workflows', 'template-repo/.github/workflows']
const files = dirs.flatMap(d => readdirSync(join(root, d)).filter(f => f.endsWith('.yml')).map(f => join(root, d, f)))

describe('shipped workflows', () => {
  it('pass actionlint', () => {
    const actionlint = join(root, '.cache/bin/actionlint')
    // throws with actionlint's findings on stderr when any file is wrong
    execFileSync(actionlint, ['-no-color', ...files], { stdio: 'pipe' })
  })

  it('keep the callable copies in .github/workflows identical to workflows/', () => {
    for (const f of readdirSync(join(root, 'workflows'))) {
      expect(readFileSync(join(root, '.github/workflows', f), 'utf8')).toBe(readFileSync(join(root, 'workflows', f), 'utf8'))
    }
  })

  it.each(files.map(f => [f.slice(root.length + 1), f]))('%s: least privilege, pinned actions, no untrusted input in run:', (_name, file) => {
    const text = readFileSync(file, 'utf8')
    const wf = parse(text)
    expect(wf.permissions).toBeDefined()
    const top = wf.permissions === 'read-all' ? {} : wf.permissions
    expect(Object.values(top ?? {}).filter(v => v === 'write')).toEqual([])
    for (const m of text.matchAll(/uses:\s*([^\s#]+)/g)) {
      const ref = m[1]
      if (ref.startsWith('./') || ref.startsWith('peakcast/peakcast')) continue
      expect(ref).toMatch(/@[0-9a-f]{40}$/)
    }
    for (const job of Object.values<Record<string, unknown>>(wf.jobs)) {
      for (const step of (job.steps as { run?: string }[] | undefined) ?? []) {
        expect(step.run ?? '').not.toMatch(/\$\{\{\s*(github\.event|inputs\.|github\.head_ref)/)
      }
    }
  })
})
