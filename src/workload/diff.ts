/**
 * The reviewed parameters of a workload, old vs new: what the PR's parameter table shows and
 * what the change bound (pullRequest.maxChangePercent) is checked against. Pure.
 */
import { formatDuration } from '../config/durations.js'
import { round } from './round.js'
import type { ParamChange, ThinkTime, Workload } from './workload.js'

interface Param {
  path: string
  /** what the table shows */
  shown: string | number
  /** what changePercent is computed from; null when not a number */
  value: number | null
}

/** Only parameters whose shown value differs are returned, in a fixed order. */
export function diffWorkloads(old: Workload | null, next: Workload, notes: Record<string, string>): ParamChange[] {
  const before = new Map(old ? params(old).map(p => [p.path, p]) : [])
  const after = params(next)
  const afterPaths = new Set(after.map(p => p.path))
  const changes: ParamChange[] = []
  for (const p of after) {
    const o = before.get(p.path)
    if (o && o.shown === p.shown) continue
    changes.push({
      path: p.path,
      old: o ? o.shown : null,
      new: p.shown,
      changePercent: percent(o?.value ?? null, p.value),
      why: notes[p.path] ?? (o ? 'changed' : old ? 'added to peakcast.yaml' : 'first workload for this service')
    })
  }
  for (const o of before.values()) {
    // a removed endpoint is one row, not one per field
    if (afterPaths.has(o.path) || o.path.endsWith('].weight')) continue
    changes.push({ path: o.path, old: o.shown, new: null, changePercent: null, why: 'removed from peakcast.yaml' })
  }
  return changes
}

/** One warning per numeric change larger than the bound, naming the parameter. */
export function exceedsBounds(changes: ParamChange[], maxChangePercent: number): string[] {
  const warnings: string[] = []
  for (const c of changes) {
    const pct = c.changePercent
    if (pct === null || Math.abs(pct) <= maxChangePercent) continue
    warnings.push(
      `${c.path} changed by ${pct > 0 ? '+' : ''}${pct.toFixed(1)}% (${c.old} → ${c.new}), ` +
        `more than the ${maxChangePercent}% allowed by pullRequest.maxChangePercent: review it closely`
    )
  }
  return warnings
}

function params(w: Workload): Param[] {
  const n = (path: string, x: number): Param => ({ path, shown: x, value: x })
  const out: Param[] = [
    n('forecast.peak.rps.p90', w.forecast.peak.rps.p90),
    { path: 'forecast.peak.at', shown: `${w.forecast.peak.day} ${w.forecast.peak.hour}`, value: null },
    n('test.targetRps', w.test.targetRps),
    n('test.threads', w.test.threads),
    { path: 'test.duration', shown: formatDuration(w.test.duration), value: w.test.duration },
    { path: 'test.rampUp', shown: formatDuration(w.test.rampUp), value: w.test.rampUp },
    { path: 'test.thinkTime', shown: thinkText(w.test.thinkTime), value: w.test.thinkTime.meanMs }
  ]
  for (const e of w.endpoints) {
    out.push({ path: `endpoints[${e.name}]`, shown: `${e.method} ${e.path}`, value: null })
    out.push(n(`endpoints[${e.name}].weight`, e.weight))
  }
  return out
}

function thinkText(t: ThinkTime): string {
  return t.distribution === 'constant' ? `${t.meanMs} ms` : `${t.distribution} ${t.meanMs} ± ${t.stdDevMs} ms`
}

function percent(old: number | null, next: number | null): number | null {
  if (old === null || next === null || old === 0) return null
  return round(((next - old) / old) * 100, 1)
}
