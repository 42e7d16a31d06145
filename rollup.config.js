// Bundles the action (dist/index.js) and the terminal CLI (dist/cli.js).
// onnxruntime-node carries native binaries, so it stays external and is vendored into
// dist/node_modules by scripts/vendor-onnxruntime.js.
import commonjs from '@rollup/plugin-commonjs'
import json from '@rollup/plugin-json'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import typescript from '@rollup/plugin-typescript'

const shared = {
  external: ['onnxruntime-node'],
  plugins: [
    typescript({ tsconfig: './tsconfig.json', include: ['src/**/*.ts', 'schemas/*.json'], noEmitOnError: true, outDir: 'dist', rootDir: '.', declaration: false }),
    json(),
    nodeResolve({ preferBuiltins: true, exportConditions: ['node'] }),
    commonjs()
  ],
  onwarn(warning, warn) {
    if (warning.code === 'CIRCULAR_DEPENDENCY' && /node_modules/.test(warning.message)) return
    if (warning.code === 'THIS_IS_UNDEFINED') return
    // bottleneck's optional Redis clustering uses eval("require"); Peakcast never enables it
    if (warning.code === 'EVAL' && /bottleneck/.test(warning.id ?? '')) return
    warn(warning)
  }
}

export default [
  { input: 'src/index.ts', output: { file: 'dist/index.js', format: 'es', sourcemap: false, inlineDynamicImports: true }, ...shared },
  { input: 'src/cli.ts', output: { file: 'dist/cli.js', format: 'es', sourcemap: false, inlineDynamicImports: true, banner: '#!/usr/bin/env node' }, ...shared }
]
