// Jest in ESM mode with ts-jest; type checking is `npm run typecheck`'s job, so ts-jest only transpiles.
export default {
  // onnxruntime-node's native outputs live in the main realm: share its typed arrays with the sandbox
  testEnvironment: './test/helpers/onnx-environment.mjs',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, diagnostics: false }]
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 120000,
  // one suite at a time: several suites drive real JMeter runs whose rates and latencies are asserted
  maxWorkers: 1
}
