import type { CommandContext } from './context.js'

/**
 * One way to describe a command for both front ends: the action reads each option from the
 * input of the same name (action.yml), the CLI from `--name value`.
 */
export interface OptionSpec {
  name: string
  description: string
  type: 'string' | 'number' | 'boolean'
  required?: boolean
  default?: string
}

export interface CommandOutcome {
  /** what the terminal prints (stdout) */
  text: string
  /** action outputs (GITHUB_OUTPUT) */
  outputs?: Record<string, string>
  /** Markdown for the job summary */
  summary?: string
  /** set when the command ran but its verdict fails the job (e.g. an SLO breach) */
  failure?: string
}

export type OptionValues = Record<string, string | number | boolean | undefined>

export interface Command {
  name: string
  summary: string
  options: OptionSpec[]
  run(options: OptionValues, ctx: CommandContext): Promise<CommandOutcome>
}

/** Turns raw strings (inputs or flags) into typed option values; a bad value names the option. */
export function parseOptions(command: Command, raw: (name: string) => string | undefined): OptionValues {
  const values: OptionValues = {}
  for (const spec of command.options) {
    const text = raw(spec.name) ?? spec.default
    if (text === undefined || text === '') {
      if (spec.required) throw new Error(`${command.name}: option --${spec.name} is required (${spec.description})`)
      continue
    }
    if (spec.type === 'number') {
      const n = Number(text)
      if (!Number.isFinite(n)) throw new Error(`${command.name}: --${spec.name} must be a number, got "${text}"`)
      values[spec.name] = n
    } else if (spec.type === 'boolean') {
      if (!/^(true|false)$/i.test(text)) throw new Error(`${command.name}: --${spec.name} must be true or false, got "${text}"`)
      values[spec.name] = text.toLowerCase() === 'true'
    } else {
      values[spec.name] = text
    }
  }
  return values
}
