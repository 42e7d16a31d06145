import { describe, expect, test } from '@jest/globals'
import type { Anomaly } from '../../src/forecast/forecaster.js'
import { renderForecastPrBody, type ForecastPrBodyInput } from '../../src/github/pr-body.js'
import type { ParamChange } from '../../src/workload/workload.js'

const H = 3_600_000
const D = 24 * H
const ORIGIN = Date.UTC(2026, 10, 23) // Monday 2026-11-23 00:00Z

function input(over: Partial<ForecastPrBodyInput> = {}): ForecastPrBodyInput {
  const history = Array.from({ length: 14 * 24 }, (_, i) => {
    const t = ORIGIN - (14 * 24 - i) * H
    return { t, rps: 500 + 400 * Math.sin(((t / H) % 24) / 24 * 2 * Math.PI) + (i % 7) * 3 }
  })
  const band = Array.from({ length: 7 * 24 }, (_, i) => {
    const t = ORIGIN + i * H
    const p50 = 600 + 450 * Math.sin(((t / H) % 24) / 24 * 2 * Math.PI) + (i % 5) * 4
    return { t, p10: p50 * 0.85, p50, p90: p50 * 1.12 }
  })
  const changes: ParamChange[] = [
    { path: 'test.targetRps', old: 1210, new: 1551, changePercent: 28.18, why: 'forecast P90 peak 1410 rps × 1.10 headroom' },
    { path: 'endpoints[GET /cart|mobile].weight', old: 0.3, new: 0.31, changePercent: 3.33, why: 'share at peak hour' },
    { path: 'test.thinkTime.distribution', old: 'constant', new: 'gaussian', changePercent: null, why: 'peakcast.yaml\nchanged' }
  ]
  const anomalies: Anomaly[] = [
    { from: ORIGIN - 3 * D, to: ORIGIN - 3 * D + 4 * H, kind: 'outage' },
    { from: ORIGIN - 9 * D, to: ORIGIN - 9 * D + 2 * H, kind: 'spike', endpoint: 'POST /cart' }
  ]
  return {
    service: 'checkout-api',
    model: 'xgb-peak@sha256:3f1c0a',
    window: { from: '2026-10-26T00:00:00Z', to: '2026-11-23T00:00:00Z' },
    peak: { day: '2026-11-27', hour: '14:00Z', rps: { p50: 1240, p90: 1410 } },
    lastWeekPeakRps: 1105,
    changes,
    history,
    band,
    anomalies,
    warnings: ['2 hours of telemetry were missing and interpolated'],
    ...over
  }
}

const tableRows = (md: string, header: string) => {
  const lines = md.split('\n')
  const start = lines.findIndex(l => l.startsWith(header))
  const rows: string[] = []
  for (let i = start + 2; i < lines.length && lines[i].startsWith('|'); i++) rows.push(lines[i])
  return rows
}
// splits a Markdown row on unescaped pipes
const cells = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1).map(c => c.trim())

describe('renderForecastPrBody', () => {
  test('daily forecast table matches an independent computation from the band and history', () => {
    const inp = input()
    const md = renderForecastPrBody(inp)
    const rows = tableRows(md, '| Day |')
    expect(rows).toHaveLength(7)
    for (let d = 0; d < 7; d++) {
      const day = inp.band.filter(b => b.t >= ORIGIN + d * D && b.t < ORIGIN + (d + 1) * D)
      const p50 = Math.max(...day.map(b => b.p50))
      const at = day.find(b => b.p50 === p50)!
      const weekBefore = Math.max(...inp.history.filter(h => h.t >= ORIGIN + (d - 7) * D && h.t < ORIGIN + (d - 6) * D).map(h => h.rps))
      const c = cells(rows[d])
      expect(c[0]).toContain(new Date(ORIGIN + d * D).toISOString().slice(0, 10))
      expect(c[1]).toBe(`${String(new Date(at.t).getUTCHours()).padStart(2, '0')}:00Z`)
      expect(Number(c[2])).toBeCloseTo(p50, 1)
      expect(Number(c[3])).toBeCloseTo(at.p90, 1)
      expect(Number(c[4])).toBeCloseTo(weekBefore, 1)
      expect(parseFloat(c[5])).toBeCloseTo(((at.p90 - weekBefore) / weekBefore) * 100, 1)
    }
    expect(cells(tableRows(md, '| Day |')[0])[0]).toMatch(/Mon$/)
  })

  test('changes table keeps one row per change with 5 cells even with pipes and newlines in values', () => {
    const md = renderForecastPrBody(input())
    const rows = tableRows(md, '| Parameter |')
    expect(rows).toHaveLength(3)
    for (const r of rows) expect(cells(r)).toHaveLength(5)
    expect(cells(rows[0])).toEqual(['`test.targetRps`', '1210', '1551', '+28.2%', 'forecast P90 peak 1410 rps × 1.10 headroom'])
    expect(cells(rows[2])[3]).toBe('—')
  })

  test('Mermaid chart: 6-hour peaks of 2 weeks of history then the forecast band', () => {
    const inp = input()
    const md = renderForecastPrBody(inp)
    const block = md.slice(md.indexOf('```mermaid'), md.indexOf('```', md.indexOf('```mermaid') + 3))
    expect(block).toContain('xychart-beta')
    const lines = [...block.matchAll(/line \[([^\]]*)\]/g)].map(m => m[1].split(', ').map(Number))
    expect(lines).toHaveLength(3)
    for (const l of lines) expect(l).toHaveLength(14 * 4 + 7 * 4)
    // first history bucket, computed here: max of the first 6 hours
    expect(lines[0][0]).toBeCloseTo(Math.max(...inp.history.slice(0, 6).map(h => h.rps)), 1)
    // forecast part of the upper line is the P90 bucket maxima
    expect(lines[2][56]).toBeCloseTo(Math.max(...inp.band.slice(0, 6).map(b => b.p90)), 1)
    expect(Math.max(...lines[2])).toBeCloseTo(Math.max(...inp.band.map(b => b.p90), ...inp.history.map(h => h.rps)), 1)
    expect(block).toMatch(/x-axis "days from forecast start" -14 --> 7/)
  })

  test('anomalies, warnings, model and window appear; output is byte-stable and order-independent for anomalies', () => {
    const inp = input()
    const md = renderForecastPrBody(inp)
    expect(md).toContain('- 2026-11-14 00:00Z → 2026-11-14 02:00Z (2 h): spike on `POST /cart`')
    expect(md).toContain('- 2026-11-20 00:00Z → 2026-11-20 04:00Z (4 h): outage')
    expect(md.indexOf('spike on')).toBeLessThan(md.indexOf('outage'))
    expect(md).toContain('2 hours of telemetry were missing')
    expect(md).toContain('xgb-peak@sha256:3f1c0a')
    expect(md).toContain('2026-10-26T00:00:00Z → 2026-11-23T00:00:00Z')
    expect(renderForecastPrBody(input())).toBe(md)
    expect(renderForecastPrBody({ ...inp, anomalies: [...inp.anomalies].reverse() })).toBe(md)
  })

  test('stays below 65,536 characters: drops the chart, then rows, with a note', () => {
    const many: ParamChange[] = Array.from({ length: 3000 }, (_, i) => ({
      path: `endpoints[GET /item/${i}].weight`,
      old: i,
      new: i + 1,
      changePercent: 100 / (i + 1),
      why: 'x'.repeat(60)
    }))
    const md = renderForecastPrBody(input({ changes: many }))
    expect(md.length).toBeLessThan(65_536)
    expect(md).toMatch(/… and \d+ more changes/)
    expect(md).not.toContain('```mermaid')
    expect(md).toContain('Chart left out')
    expect(md).toContain('xgb-peak@sha256:3f1c0a')

    const tiny = renderForecastPrBody(input({ changes: many, maxChars: 2000 }))
    expect(tiny.length).toBeLessThanOrEqual(2000)
    expect(tiny).toMatch(/truncated/)
  })
})
