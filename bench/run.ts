/**
 * `npm run bench [name…]`: runs every bench/<name>.bench.ts (each exports `run()` returning a
 * markdown section), prints the sections and, when all benchmarks ran, writes bench/RESULTS.md
 * with the machine they ran on.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { arch, cpus, loadavg, release, totalmem, type } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { writeFileAtomic } from '../src/util/atomic-write.js'

interface Bench {
  run(): Promise<string>
}

const benchDir = dirname(fileURLToPath(import.meta.url))

function javaVersion(): string {
  // `java -version` prints to stderr.
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' })
  return r.error ? 'java not installed' : (r.stderr.split('\n')[0] ?? 'java: unknown version')
}

function machine(): string {
  const cpu = cpus()
  return [
    `- machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} logical CPUs, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${type()} ${release()} ${arch()}`,
    `- node ${process.version}; ${javaVersion()}`,
    `- date: ${new Date().toISOString().slice(0, 10)}; load average when done: ${loadavg()
      .map(l => l.toFixed(1))
      .join(' ')} (other work on the machine inflates wall times; CPU seconds are steadier)`
  ].join('\n')
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2)
  const all = readdirSync(benchDir)
    .filter(f => f.endsWith('.bench.ts'))
    .sort()
  const chosen = wanted.length === 0 ? all : all.filter(f => wanted.includes(f.replace(/\.bench\.ts$/, '')))
  if (chosen.length === 0) throw new Error(`no benchmark named ${wanted.join(', ')}; have ${all.join(', ')}`)
  const sections: string[] = []
  for (const file of chosen) {
    console.error(`▶ bench ${file}`)
    const bench = (await import(pathToFileURL(join(benchDir, file)).href)) as Bench
    const section = await bench.run()
    console.log(`${section}\n`)
    sections.push(section)
  }
  const doc = ['# Benchmark results', '', 'Reproduce: `npm run bench` (all benchmarks; writes this file).', '', machine(), '', ...sections.map(s => `${s}\n`)].join('\n')
  if (wanted.length === 0) {
    writeFileAtomic(join(benchDir, 'RESULTS.md'), doc)
    console.error('wrote bench/RESULTS.md')
  }
}

await main()
