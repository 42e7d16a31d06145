import { detectAnomalies } from '../../src/forecast/anomalies.js'
import type { Anomaly } from '../../src/forecast/forecaster.js'
import { PeakcastError } from '../../src/util/errors.js'
import { HOUR, MONDAY, loadHourly, nabWindows, periodic } from '../helpers/traffic.js'

const at = (week: number, day: number, hour: number) => week * 168 + day * 24 + hour

interface Injection {
  kind: Anomaly['kind']
  from: number
  to: number
  apply: (values: number[]) => void
}

const injections: Injection[] = [
  // stuck exporter on a Wednesday morning, while traffic normally ramps up
  { kind: 'flatline', from: at(4, 2, 8), to: at(4, 2, 14), apply: v => v.fill(v[at(4, 2, 8)], at(4, 2, 8), at(4, 2, 14)) },
  { kind: 'outage', from: at(6, 3, 13), to: at(6, 3, 16), apply: v => v.fill(0, at(6, 3, 13), at(6, 3, 16)) },
  {
    kind: 'spike',
    from: at(8, 1, 3),
    to: at(8, 1, 5),
    apply: v => {
      for (let i = at(8, 1, 3); i < at(8, 1, 5); i++) v[i] *= 4
    }
  },
  {
    kind: 'level-shift',
    from: at(10, 2, 0),
    to: at(10, 4, 0),
    apply: v => {
      for (let i = at(10, 2, 0); i < at(10, 4, 0); i++) v[i] *= 0.6
    }
  }
]

describe('detectAnomalies on synthetic traffic', () => {
  const values = periodic(14, 0.05, 11)
  for (const inj of injections) inj.apply(values)
  const { anomalies, mask } = detectAnomalies(values, MONDAY, HOUR, { endpoint: 'GET /x' })

  it.each(injections.map(i => [i.kind, i] as const))('finds the injected %s and names its kind', (_, inj) => {
    const overlapping = anomalies.filter(a => a.from < MONDAY + inj.to * HOUR && a.to > MONDAY + inj.from * HOUR)
    expect(overlapping.map(a => a.kind)).toContain(inj.kind)
    const injected = mask.slice(inj.from, inj.to)
    expect(injected.filter(Boolean).length / injected.length).toBeGreaterThanOrEqual(0.9)
  })

  it('leaves the rest of the series alone', () => {
    const inside = new Set(injections.flatMap(i => Array.from({ length: i.to - i.from }, (_, k) => i.from + k)))
    const falseAlarms = mask.filter((m, i) => m && !inside.has(i)).length
    expect(falseAlarms / (mask.length - inside.size)).toBeLessThan(0.01)
    expect(anomalies.every(a => a.endpoint === 'GET /x' && a.to > a.from)).toBe(true)
  })
})

describe('detectAnomalies', () => {
  it('finds nothing in clean periodic traffic, including quiet hours that are always zero', () => {
    const values = periodic(8).map((v, i) => (i % 24 < 6 ? 0 : v))
    const { anomalies, mask } = detectAnomalies(values, MONDAY, HOUR)
    expect(anomalies).toEqual([])
    expect(mask).toHaveLength(values.length)
  })

  it('reports nothing without two other weeks to compare each hour with', () => {
    const values = periodic(2)
    values[30] = 0
    expect(detectAnomalies(values, MONDAY, HOUR).anomalies).toEqual([])
  })

  it('rejects a step that does not divide a week', () => {
    expect(() => detectAnomalies([1, 2, 3], MONDAY, 7 * 60_000 * 11)).toThrow(PeakcastError)
  })

  it('finds the labelled anomalies of NYC taxi demand (NAB), aggregated to hourly', async () => {
    const { start, values } = await loadHourly('nab/realKnownCause/nyc_taxi.csv')
    const windows = nabWindows('realKnownCause/nyc_taxi.csv')
    const { anomalies, mask } = detectAnomalies(values, start, HOUR)
    const overlaps = (a: Anomaly, [from, to]: [number, number]) => a.from <= to && a.to > from
    const windowsHit = windows.filter(w => anomalies.some(a => overlaps(a, w))).length
    const truePositives = anomalies.filter(a => windows.some(w => overlaps(a, w))).length
    const precision = truePositives / anomalies.length
    console.log(
      `nyc_taxi: ${windowsHit}/${windows.length} labelled windows hit; ` +
        `${truePositives}/${anomalies.length} anomalies inside a window (precision ${precision.toFixed(2)}); ` +
        `${mask.filter(Boolean).length}/${mask.length} hours masked`
    )
    expect(windowsHit).toBeGreaterThanOrEqual(4)
    // the unlabelled rest are mostly real holidays (July 4, Labor Day, MLK day): precision stays modest
    expect(precision).toBeGreaterThanOrEqual(0.4)
    expect(mask.filter(Boolean).length / mask.length).toBeLessThan(0.1)
  })
})
