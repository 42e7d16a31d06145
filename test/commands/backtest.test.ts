import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { backtestCommand } from '../../src/commands/backtest.js'
import type { CommandContext } from '../../src/commands/context.js'
import { memoryLogger } from '../../src/util/log.js'
import { HOUR, MONDAY, periodic } from '../helpers/traffic.js'

describe('backtestCommand', () => {
  let dir: string
  let ctx: CommandContext
  const weeks = 12

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'peakcast-backtest-'))
    ctx = { log: memoryLogger(), cwd: dir, env: {}, now: 0 }
    const rows = periodic(weeks, 0.1, 9).map((v, i) => `${new Date(MONDAY + i * HOUR).toISOString()},${Math.round(v)}`)
    writeFileSync(join(dir, 'traffic.csv'), `timestamp,requests\n${rows.join('\n')}\n`)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('prints both forecasters side by side and writes every prediction as CSV, byte-stable', async () => {
    const opts = { data: 'traffic.csv', model: 'seasonal-naive', warmupWeeks: 8, predictions: 'out/predictions.csv' }
    const { result, text } = await backtestCommand(opts, ctx)
    const csv = readFileSync(join(dir, 'out/predictions.csv'), 'utf8')

    expect(result.forecasters.map(f => f.id)).toEqual(['seasonal-naive', 'seasonal-naive-level'])
    const origins = weeks - 8
    expect(result.origins).toHaveLength(origins)

    const lines = text.trimEnd().split('\n')
    expect(lines[0]).toContain(`${origins} weekly origins`)
    expect(lines[1].split(/\s{2,}/)).toEqual(['metric', 'seasonal-naive', 'seasonal-naive-level', 'seasonal-naive-level vs seasonal-naive'])
    const coverageRow = lines.find(l => l.startsWith('P90 coverage'))!.split(/\s{2,}/)
    expect(coverageRow[3]).toMatch(/^(✅ better|❌ worse|≈ within noise) \([−+]?\d+\.\d, 99 % CI [−+]?\d+\.\d to [−+]?\d+\.\d\)$/)
    expect(coverageRow.slice(1, 3).map(Number)).toEqual(
      result.forecasters.map(f => Math.round(1000 * f.metrics.p90Coverage) / 10)
    )

    const rows = csv.trimEnd().split('\n')
    expect(rows[0]).toBe('model,origin,timestamp,p10,p50,p90')
    expect(rows).toHaveLength(1 + 2 * origins * 168)
    const first = rows[1].split(',')
    const p = result.forecasters[0].predictions[0]
    expect(first[0]).toBe('seasonal-naive')
    expect(first[1]).toBe(new Date(MONDAY + 8 * 7 * 24 * HOUR).toISOString().replace('.000Z', 'Z'))
    expect(first[2]).toBe(first[1])
    expect(first.slice(3).map(Number)).toEqual([p.p10, p.p50, p.p90].map(v => Math.round(v * 1000) / 1000))
    expect(rows.every((r, i) => i === 0 || /^[\w-]+,\d{4}-\d\d-\d\dT\d\d:00:00Z,[^,]+Z(,\d+\.\d{3}){3}$/.test(r))).toBe(true)

    const again = await backtestCommand(opts, ctx)
    expect(again.text).toBe(text)
    expect(readFileSync(join(dir, 'out/predictions.csv'), 'utf8')).toBe(csv)
  })

  it('prints JSON with sorted keys when asked', async () => {
    const { result, text } = await backtestCommand({ data: 'traffic.csv', model: 'seasonal-naive', json: true }, ctx)
    const parsed = JSON.parse(text)
    const sortedKeys = (v: unknown): boolean =>
      Array.isArray(v)
        ? v.every(sortedKeys)
        : typeof v === 'object' && v !== null
          ? Object.keys(v).join() === Object.keys(v).sort().join() && Object.values(v).every(sortedKeys)
          : true
    expect(sortedKeys(parsed)).toBe(true)
    expect(parsed.origins.count).toBe(result.origins.length)
    expect(parsed.forecasters[1].metrics.peakRateMape).toBeCloseTo(result.forecasters[1].metrics.peakRateMape, 3)
    const mape = parsed.forecasters[1].differenceFromFirst.peakRateMape
    expect(mape.delta).toBeCloseTo(result.forecasters[1].metrics.peakRateMape - result.forecasters[0].metrics.peakRateMape, 3)
    expect(mape.lo).toBeLessThanOrEqual(mape.hi)
    expect(['better', 'worse', 'same']).toContain(mape.change)
    expect(parsed.forecasters[0].differenceFromFirst).toBeUndefined()
    expect(parsed.peakDayHindsight).toBeCloseTo(result.peakDayHindsight, 4)
  })

  it('names the file when it cannot be read', async () => {
    await expect(backtestCommand({ data: 'missing.csv', model: 'seasonal-naive' }, ctx)).rejects.toThrow(/missing\.csv/)
  })
})
