// `peakcast <command> [--option value …]`: the action's commands in a terminal.
import { main } from './terminal.js'

process.exitCode = await main(process.argv.slice(2))
