import type { Command } from './command.js'
import { backtestCmd } from './backtest.js'
import { demoCommand } from './demo.js'
import { exportTelemetryCommand } from './export-telemetry.js'
import { featuresCmd } from './features.js'
import { forecastCommand } from './forecast.js'
import { mergeResultsCommand } from './merge-results.js'
import { proposeModelCommand } from './propose-model.js'
import { testCommand } from './test.js'
import { validateCommand } from './validate.js'

/** Every command, for the action (main.ts) and the terminal (cli.ts). */
export const commands: Command[] = [forecastCommand, validateCommand, demoCommand, testCommand, mergeResultsCommand, backtestCmd, exportTelemetryCommand, featuresCmd, proposeModelCommand]

export function findCommand(name: string): Command {
  const c = commands.find(x => x.name === name)
  if (!c) throw new Error(`unknown command "${name}"; expected one of: ${commands.map(x => x.name).join(', ')}`)
  return c
}
