import type { Command } from './command.js'

/** Every command, for the action (main.ts) and the terminal (cli.ts). */
export const commands: Command[] = []

export function findCommand(name: string): Command {
  const c = commands.find(x => x.name === name)
  if (!c) throw new Error(`unknown command "${name}"; expected one of: ${commands.map(x => x.name).join(', ')}`)
  return c
}
