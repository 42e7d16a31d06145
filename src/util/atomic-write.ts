import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, basename } from 'node:path'

let counter = 0
function tempPathFor(path: string): string {
  counter += 1
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter}.tmp`)
}

/** Writes a file so that readers see either the old bytes or the new ones, never a torn file. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeFilesAtomic([{ path, data }])
}

/**
 * Writes several files all-or-nothing as far as a filesystem allows: every file is first
 * written to a temp file beside its target; only when all temp files exist are they renamed.
 * A failure before the renames leaves every target untouched.
 */
export function writeFilesAtomic(files: { path: string; data: string | Uint8Array }[]): void {
  const staged: { tmp: string; path: string }[] = []
  try {
    for (const f of files) {
      mkdirSync(dirname(f.path), { recursive: true })
      const tmp = tempPathFor(f.path)
      writeFileSync(tmp, f.data)
      staged.push({ tmp, path: f.path })
    }
  } catch (err) {
    for (const s of staged) rmSync(s.tmp, { force: true })
    throw err
  }
  for (const s of staged) renameSync(s.tmp, s.path)
}
