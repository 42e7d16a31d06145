/**
 * A real Prometheus server for the connector tests: history is written as OpenMetrics text,
 * backfilled into a TSDB with `promtool tsdb create-blocks-from openmetrics`, and served by
 * `prometheus` on 127.0.0.1 (scripts/install-prometheus.sh installs both).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface PrometheusServer {
  /** http://127.0.0.1:<port> */
  url: string
  close(): Promise<void>
}

/** One sample: metric name, labels, value, epoch ms. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
  t: number
}

export function prometheusInstalled(): boolean {
  return ['prometheus', 'promtool'].every(bin => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0)
}

/**
 * OpenMetrics text: one `unknown`-typed family per metric name (any name, no suffix rules),
 * each series' samples together and in time order, timestamps in seconds, `# EOF` at the end.
 */
export function toOpenMetrics(samples: Sample[]): string {
  const families = new Map<string, Map<string, Sample[]>>()
  for (const s of samples) {
    const labels = Object.keys(s.labels)
      .sort()
      .map(k => `${k}="${s.labels[k].replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
      .join(',')
    const series = families.get(s.name) ?? new Map<string, Sample[]>()
    families.set(s.name, series)
    const list = series.get(labels) ?? []
    series.set(labels, list)
    list.push(s)
  }
  const lines: string[] = []
  for (const [name, series] of families) {
    lines.push(`# TYPE ${name} unknown`)
    for (const [labels, list] of series) {
      for (const s of [...list].sort((a, b) => a.t - b.t)) lines.push(`${name}{${labels}} ${s.value} ${s.t / 1000}`)
    }
  }
  lines.push('# EOF')
  return `${lines.join('\n')}\n`
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address ? address.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export async function startPrometheus(samples: Sample[]): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'peakcast-prometheus-'))
  let child: ChildProcess | undefined
  try {
    const input = join(dir, 'history.om')
    writeFileSync(input, toOpenMetrics(samples))
    const tsdb = join(dir, 'tsdb')
    const backfill = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, tsdb], { encoding: 'utf8' })
    if (backfill.status !== 0) throw new Error(`promtool backfill failed: ${backfill.stderr || backfill.stdout}`)
    const config = join(dir, 'prometheus.yml')
    writeFileSync(config, 'global:\n  scrape_interval: 1h\nscrape_configs: []\n')

    const port = await freePort()
    const stderr: string[] = []
    child = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${tsdb}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // the backfilled history is in the past: keep it whatever its age
        '--storage.tsdb.retention.time=36500d',
        '--log.level=warn'
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    )
    child.stderr?.on('data', (c: Buffer) => stderr.push(c.toString('utf8')))
    const url = `http://127.0.0.1:${port}`
    const deadline = Date.now() + 30_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${stderr.join('')}`)
      const ready = await fetch(`${url}/-/ready`).then(
        r => r.ok,
        () => false
      )
      if (ready) break
      if (Date.now() > deadline) throw new Error(`prometheus not ready within 30 s: ${stderr.join('')}`)
      await new Promise(r => setTimeout(r, 200))
    }
    const running = child
    return {
      url,
      close: async () => {
        if (running.exitCode === null) {
          const exited = new Promise(r => running.once('exit', r))
          running.kill('SIGTERM')
          await exited
        }
        rmSync(dir, { recursive: true, force: true })
      }
    }
  } catch (err) {
    child?.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}
