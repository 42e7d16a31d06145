/** Rounding that keeps generated files byte-stable and shares that add up. */

export function round(x: number, decimals: number): number {
  const f = 10 ** decimals
  // +0 turns -0 into 0 so that it prints as "0"
  return Math.round(x * f) / f + 0
}

/**
 * Rounds non-negative values to `decimals` so they sum to exactly `total` (largest remainder:
 * floor everything, then hand the missing units to the largest remainders; ties go to the
 * earlier index, so the result is deterministic).
 */
export function roundToSum(values: number[], decimals: number, total = 1): number[] {
  const f = 10 ** decimals
  const sum = values.reduce((a, b) => a + b, 0)
  if (values.length === 0) return []
  if (sum <= 0) return values.map(() => 0)
  const units = Math.round(total * f)
  // 1e-9 absorbs float noise so that exact shares such as 0.3 do not lose a unit
  const exact = values.map(v => (v / sum) * units)
  const floors = exact.map(x => Math.floor(x + 1e-9))
  let missing = units - floors.reduce((a, b) => a + b, 0)
  const order = exact.map((x, i) => ({ i, rem: x - floors[i] })).sort((a, b) => b.rem - a.rem || a.i - b.i)
  for (let k = 0; missing > 0; k = (k + 1) % order.length, missing--) floors[order[k].i] += 1
  return floors.map(u => u / f)
}
