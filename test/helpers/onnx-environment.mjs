/**
 * Jest environment for tests that run onnxruntime-node. The native binding creates its output
 * Float32Array in Node's main realm, and onnxruntime-common (loaded inside jest's vm sandbox)
 * checks `data instanceof Float32Array` against the sandbox's own constructor, so every run
 * fails with "A float32 tensor's data must be type of Float32Array". Sharing the main realm's
 * typed-array constructors with the sandbox makes both sides agree. Use it with the docblock
 * `@jest-environment ./test/helpers/onnx-environment.mjs` (or as testEnvironment).
 */
import { TestEnvironment } from 'jest-environment-node'

const TYPED_ARRAYS = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'
]

export default class OnnxEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context)
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name]
  }
}
