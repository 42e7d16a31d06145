import { readFileSync } from 'node:fs'
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path'
import { loadConfig } from '../config/load-config.js'
import type { PeakcastConfig, ServiceConfig } from '../config/peakcast-config.js'
import { backtest } from '../forecast/backtest.js'
import { SeasonalBaseline } from '../forecast/baseline.js'
import { compareModels, type TraceBacktest } from '../forecast/compare-models.js'
import type { Forecaster } from '../forecast/forecaster.js'
import { loadOnnxForecaster, type OnnxForecaster } from '../forecast/onnx.js'
import { resolveForecaster } from '../forecast/resolve.js'
import { renderModelPrBody, type TrainingWindow } from '../github/model-pr-body.js'
import { createOrUpdatePullRequest, type PullRequestFile } from '../github/pull-request.js'
import { redact } from '../github/redact.js'
import { readHourlyFile } from '../telemetry/hourly-file.js'
import { writeFilesAtomic } from '../util/atomic-write.js'
import { PeakcastError } from '../util/errors.js'
import type { Command, CommandOutcome, OptionValues } from './command.js'
import type { CommandContext } from './context.js'
import { openGitHubSession } from './github-session.js'

export const RETRAIN_BRANCH = 'peakcast/retrain'

/**
 * The end of the retrain workflow: a model just trained by template-repo/model/train.py is
 * backtested against the model each service uses now and the seasonal baseline on the exported
 * telemetry, and proposed as one pull request on `peakcast/retrain` that copies it to `target`.
 * A human merges it or not; nothing switches models behind the reviewer's back.
 */
export const proposeModelCommand: Command = {
  name: 'propose-model',
  summary: 'Backtest a retrained model against the one in use and propose it as a pull request',
  options: [
    { name: 'config', description: 'peakcast.yaml in the checked-out config repository', type: 'string', default: 'peakcast.yaml' },
    { name: 'token', description: 'GitHub token for the pull request and its branch; without one the model is copied locally', type: 'string', default: '' },
    { name: 'candidate', description: 'directory with model.json and the ONNX files train.py wrote', type: 'string', required: true },
    { name: 'target', description: 'model directory in the config repository, relative to peakcast.yaml', type: 'string', default: 'models/peakcast' },
    { name: 'data', description: 'comma-separated telemetry CSVs (from export-telemetry; a file named <service>.csv is scored against that service\'s model)', type: 'string', required: true },
    { name: 'warmup-weeks', description: 'weeks of telemetry before the first backtest origin', type: 'number', default: '4' }
  ],
  async run(options, ctx) {
    const secrets = [String(options.token ?? '')].filter(s => s.length > 0)
    for (const s of secrets) ctx.log.secret(s)
    try {
      return await proposeModel(options, ctx)
    } catch (err) {
      // thrown messages bypass the logger's masking: never let the token ride along
      throw new Error(redact(err instanceof Error ? err.message : String(err), secrets))
    }
  }
}

async function proposeModel(options: OptionValues, ctx: CommandContext): Promise<CommandOutcome> {
  const { log } = ctx
  const configPath = resolve(ctx.cwd, String(options.config))
  const baseDir = dirname(configPath)
  const config = loadConfig(configPath)
  const candidateDir = resolve(ctx.cwd, String(options.candidate))
  const target = String(options.target)
  const targetAbs = isAbsolute(target) ? target : resolve(baseDir, target)
  const targetPath = repoPath(ctx.cwd, targetAbs)
  const warmupWeeks = Number(options['warmup-weeks'] ?? 4)

  // loading verifies the feature version and every file's sha256 before anything is proposed
  const candidate = await loadOnnxForecaster(candidateDir)
  const files = modelFiles(candidateDir, candidate)
  log.info(`candidate ${candidate.id} from ${candidateDir}`)

  const traces: TraceBacktest[] = []
  const inUse = new Set<string>()
  const forecasters = new Map<string, Promise<Forecaster>>()
  for (const data of dataFiles(String(options.data))) {
    const service = serviceOf(config, data)
    const key = service?.model ?? 'default'
    if (!forecasters.has(key)) forecasters.set(key, resolveForecaster(service?.model, baseDir))
    const current = await (forecasters.get(key) as Promise<Forecaster>)
    const { values, start } = await hourlyTotals(resolve(ctx.cwd, data), data)
    const done = log.step(`backtest ${data}: seasonal baseline vs ${current.id} (${service ? `in use by ${service.name}` : 'default'}) vs ${candidate.id}`)
    const r = await backtest(values, start, [new SeasonalBaseline(), current, candidate], { warmupWeeks })
    done()
    inUse.add(r.forecasters[1].model)
    traces.push({ trace: basename(data), weeks: r.origins.length, baseline: r.forecasters[0], current: r.forecasters[1], candidate: r.forecasters[2] })
  }
  const comparison = compareModels(traces)
  const current = [...inUse].sort().join(', ')
  log.info(`candidate vs ${current}: ${comparison.verdict}`)

  const meta = candidate.metadata
  const body = renderModelPrBody({
    candidate: { id: meta.id, featureVersion: meta.featureVersion, horizon: meta.horizon, files: meta.files, trainingWindow: trainingWindows(meta.trainingWindow) },
    current,
    target: targetPath,
    servicesUsingTarget: config.services.filter(s => s.model !== undefined && resolve(baseDir, s.model) === targetAbs).map(s => s.name),
    warmupWeeks,
    traces,
    comparison
  })
  const outputs: Record<string, string> = { 'model-id': meta.id, recommendation: comparison.verdict }
  const text = `candidate ${meta.id} vs ${current}: ${comparison.verdict}`
  const summary = `${body}\n`

  const session = openGitHubSession(String(options.token ?? ''), ctx)
  if (!session) {
    log.info(`not on a GitHub runner with a token: copying the model to ${targetAbs} instead of a pull request`)
    writeFilesAtomic(files.map(f => ({ path: join(targetAbs, f.name), data: f.bytes })))
    return { text: `${text}; model written to ${targetAbs}`, outputs, summary }
  }
  const { gh, octokit, git } = session
  const title = `peakcast: retrained model ${meta.id} (${comparison.verdict === 'same' ? 'no significant change' : `${comparison.verdict} than ${current}`})`
  const pull = await createOrUpdatePullRequest({
    octokit,
    git,
    owner: gh.owner,
    repo: gh.repo,
    base: gh.defaultBranch,
    branch: RETRAIN_BRANCH,
    files: files.map(f => prFile(`${targetPath}/${f.name}`, f.bytes)),
    commitMessage: `${title}\n\nTrained by template-repo/model/train.py; backtested against ${current} and the seasonal baseline.`,
    title,
    body,
    labels: config.pullRequest.labels,
    reviewers: config.pullRequest.reviewers,
    log
  })
  outputs['pull-request-operation'] = pull.operation
  if (pull.number !== undefined) outputs['pull-request-number'] = String(pull.number)
  if (pull.url) outputs['pull-request-url'] = pull.url
  return { text: `${text}; pull request ${pull.operation}${pull.url ? ` ${pull.url}` : ''}`, outputs, summary }
}

/** model.json and exactly the files it lists: boosters or scratch files beside them stay out of the PR. */
function modelFiles(dir: string, model: OnnxForecaster): { name: string; bytes: Uint8Array }[] {
  const names = ['model.json', ...Object.keys(model.metadata.files).sort()]
  return names.map(name => ({ name, bytes: readFileSync(join(dir, name)) }))
}

/** ONNX files are bytes: they must not go through a UTF-8 string. */
function prFile(path: string, bytes: Uint8Array): PullRequestFile {
  return { path, content: bytes }
}

function dataFiles(list: string): string[] {
  const files = list.split(',').map(s => s.trim()).filter(Boolean)
  if (files.length === 0) throw new PeakcastError('no telemetry to backtest on', { field: 'data' }, 'pass --data with the CSV(s) export-telemetry wrote')
  return files
}

/** export-telemetry names its file <service>.csv; with one service any file is that service's. */
function serviceOf(config: PeakcastConfig, data: string): ServiceConfig | undefined {
  const name = basename(data, extname(data))
  return config.services.find(s => s.name === name) ?? (config.services.length === 1 ? config.services[0] : undefined)
}

async function hourlyTotals(path: string, data: string): Promise<{ values: number[]; start: number }> {
  const { series } = await readHourlyFile(path, {
    source: data,
    purpose: 'a backtest',
    hint: 'export hourly telemetry (export-telemetry writes the source at its configured step)'
  })
  return { values: series.total.requests, start: series.start }
}

function trainingWindows(raw: unknown): TrainingWindow[] {
  return Array.isArray(raw) ? raw.filter((w): w is TrainingWindow => typeof w === 'object' && w !== null) : []
}

function repoPath(root: string, abs: string): string {
  const rel = relative(root, abs).split('\\').join('/')
  if (rel === '' || rel.startsWith('..')) throw new PeakcastError(`target ${abs} must be a directory inside the checkout ${root}`, { field: 'target' }, 'e.g. --target models/peakcast')
  return rel
}
