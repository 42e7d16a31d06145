// Copies onnxruntime-node's linux-x64 CPU runtime into dist/node_modules so the committed action
// runs with no `npm install` on the runner (GitHub's hosted runners are linux-x64). The bundle
// keeps `import 'onnxruntime-node'` external; Node resolves it from dist/node_modules.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const target = join(root, 'dist', 'node_modules')
rmSync(target, { recursive: true, force: true })

function vendor(name, parts) {
  const from = join(root, 'node_modules', name)
  const to = join(target, name)
  const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'))
  // Only what `import` needs at run time: no install scripts, no install-time dependencies.
  const kept = { name: pkg.name, version: pkg.version, license: pkg.license, main: pkg.main, module: pkg.module, exports: pkg.exports, types: pkg.types }
  if (name === 'onnxruntime-node') kept.dependencies = { 'onnxruntime-common': pkg.dependencies['onnxruntime-common'] }
  mkdirSync(to, { recursive: true })
  writeFileSync(join(to, 'package.json'), `${JSON.stringify(kept, null, 2)}\n`)
  for (const part of parts) cpSync(join(from, part), join(to, part), { recursive: true, filter: src => !src.endsWith('.map') })
}

vendor('onnxruntime-common', ['dist'])
vendor('onnxruntime-node', ['dist', 'bin/napi-v6/linux/x64'])
