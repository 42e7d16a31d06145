import * as core from '@actions/core'
import { parseOptions } from './commands/command.js'
import { findCommand } from './commands/index.js'
import type { Logger } from './util/log.js'

/** Progress and warnings go to the runner's log; secrets are masked by the runner itself. */
function actionLogger(): Logger {
  return {
    info: m => core.info(m),
    warn: m => core.warning(m),
    step(title) {
      core.startGroup(title)
      return () => core.endGroup()
    },
    secret: v => core.setSecret(v)
  }
}

/** The action: read the inputs of the chosen command, run it, publish outputs and summary. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = actionLogger()
  try {
    const token = core.getInput('token')
    if (token) log.secret(token)
    const command = findCommand(core.getInput('command', { required: true }))
    const options = parseOptions(command, name => core.getInput(name) || undefined)
    const outcome = await command.run(options, { log, cwd: env.GITHUB_WORKSPACE ?? process.cwd(), env, now: Date.now() })
    for (const [k, v] of Object.entries(outcome.outputs ?? {})) core.setOutput(k, v)
    if (outcome.summary) await core.summary.addRaw(outcome.summary, true).write()
    core.info(outcome.text)
    if (outcome.failure) core.setFailed(outcome.failure)
  } catch (err) {
    core.setFailed(err instanceof Error ? err.message : String(err))
  }
}
