// The action's entry point: the runner executes dist/index.js, which is this file bundled.
import { run } from './main.js'

await run()
