// The terminal front end: parse argv, run one command, map the outcome to an exit code.
import { parseOptions } from './commands/command.js'
import { commands, findCommand } from './commands/index.js'
import { consoleLogger } from './util/log.js'

function usage(): string {
  const lines = ['usage: peakcast <command> [--option value …]', '', 'commands:']
  for (const c of commands) {
    lines.push(`  ${c.name.padEnd(18)}${c.summary}`)
    for (const o of c.options) lines.push(`      --${o.name}${o.type === 'boolean' ? '' : ' <' + o.type + '>'}  ${o.description}${o.default ? ` (default ${o.default})` : ''}`)
  }
  return lines.join('\n')
}

/** `--name value`, `--name=value`, and bare `--flag` (true). */
export function parseArgv(argv: string[]): { command?: string; flags: Map<string, string> } {
  const flags = new Map<string, string>()
  let command: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) {
      if (command) throw new Error(`unexpected argument "${a}"`)
      command = a
      continue
    }
    const eq = a.indexOf('=')
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1))
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags.set(a.slice(2), argv[++i])
    else flags.set(a.slice(2), 'true')
  }
  return { command, flags }
}

export async function main(argv: string[]): Promise<number> {
  const log = consoleLogger()
  try {
    const { command: name, flags } = parseArgv(argv)
    if (!name || name === 'help' || flags.has('help')) {
      process.stdout.write(`${usage()}\n`)
      return name ? 0 : 2
    }
    const command = findCommand(name)
    const known = new Set(command.options.map(o => o.name))
    for (const f of flags.keys()) if (!known.has(f)) throw new Error(`${name}: unknown option --${f}; known: ${[...known].map(k => `--${k}`).join(', ')}`)
    const outcome = await command.run(parseOptions(command, n => flags.get(n)), { log, cwd: process.cwd(), env: process.env, now: Date.now() })
    process.stdout.write(`${outcome.text}\n`)
    if (outcome.failure) {
      log.warn(outcome.failure)
      return 1
    }
    return 0
  } catch (err) {
    process.stderr.write(`peakcast: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}

