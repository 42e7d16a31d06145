/** Sample quantiles, exact from sorted values (linear interpolation, R type 7 / numpy default). */

// Module-level aliases: global lookups are very slow inside jest's vm sandbox (see calendar.ts).
const { ceil, floor } = Math

/** q in [0, 1] of values sorted ascending; NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN
  const pos = (sorted.length - 1) * q
  const lo = floor(pos)
  const hi = ceil(pos)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

export function quantile(values: readonly number[], q: number): number {
  // a typed array sorts numerically without a comparator callback: several times faster
  return quantileSorted(Float64Array.from(values).sort(), q)
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5)
}
