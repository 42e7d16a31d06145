/**
 * The training recipe's Python (.venv, pinned by template-repo/model/requirements.txt). CI runs
 * scripts/setup-python.sh before the tests; when the venv is missing the first test that needs
 * it creates it (PyPI, a few minutes).
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

export const repoRoot = process.cwd()
export const venvPython = resolve(repoRoot, '.venv/bin/python')
export const trainPy = resolve(repoRoot, 'template-repo/model/train.py')

export function ensurePython(): string {
  // the script is idempotent (a stamp of the requirements' hash), so this is cheap when current
  execFileSync('bash', [resolve(repoRoot, 'scripts/setup-python.sh')], { stdio: 'inherit', timeout: 900_000 })
  if (!existsSync(venvPython)) throw new Error(`scripts/setup-python.sh did not create ${venvPython}`)
  return venvPython
}

export function runTrainPy(args: string[]): string {
  return execFileSync(ensurePython(), [trainPy, ...args], { encoding: 'utf8', timeout: 600_000 })
}
