import type { Logger } from '../util/log.js'

/** What every command gets from its caller (the action's main.ts or the terminal cli.ts). */
export interface CommandContext {
  log: Logger
  /** working directory: relative paths in options resolve against it */
  cwd: string
  env: NodeJS.ProcessEnv
  /** "now" as epoch ms, injectable so outputs are reproducible in tests */
  now: number
}
