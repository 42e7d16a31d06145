/**
 * Exact latency distribution of integer milliseconds: one count per millisecond value.
 * Memory is bounded by the largest latency, not by the number of samples, and two
 * histograms merge by adding counts — so percentiles stay exact across shards.
 */

/** Latencies below this live in a dense array (≤ 512 KiB); rarer, longer ones in a Map. */
const DENSE_LIMIT = 65_536

export interface Summary {
  count: number
  sum: number
  min: number
  max: number
}

export class LatencyHistogram {
  private dense = new Float64Array(1024)
  private readonly sparse = new Map<number, number>()
  count = 0
  sum = 0
  min = Infinity
  max = -Infinity

  /** `ms` must be a non-negative integer (JTL `elapsed`). */
  add(ms: number, times = 1): void {
    if (ms < DENSE_LIMIT) {
      if (ms >= this.dense.length) this.grow(ms)
      this.dense[ms] += times
    } else {
      this.sparse.set(ms, (this.sparse.get(ms) ?? 0) + times)
    }
    this.count += times
    this.sum += ms * times
    if (ms < this.min) this.min = ms
    if (ms > this.max) this.max = ms
  }

  merge(other: LatencyHistogram): void {
    for (const [ms, n] of other.entries()) this.add(ms, n)
  }

  /** Non-zero buckets in ascending order of latency. */
  *entries(): Generator<[number, number]> {
    const d = this.dense
    for (let ms = 0; ms < d.length; ms++) if (d[ms] !== 0) yield [ms, d[ms]]
    const big = [...this.sparse.keys()].sort((a, b) => a - b)
    for (const ms of big) yield [ms, this.sparse.get(ms) as number]
  }

  /**
   * Nearest-rank percentiles (the smallest value v with at least ⌈p/100·n⌉ samples ≤ v),
   * all in one ascending pass. `ps` in 0..100; result in the same order.
   */
  percentiles(ps: readonly number[]): number[] {
    const out = new Array<number>(ps.length).fill(NaN)
    if (this.count === 0) return out
    const ranks = ps.map(p => Math.max(1, Math.ceil((p / 100) * this.count)))
    const order = ranks.map((_, i) => i).sort((a, b) => ranks[a] - ranks[b])
    let next = 0
    let seen = 0
    for (const [ms, n] of this.entries()) {
      seen += n
      while (next < order.length && ranks[order[next]] <= seen) out[order[next++]] = ms
      if (next === order.length) break
    }
    return out
  }

  summary(): Summary {
    return { count: this.count, sum: this.sum, min: this.min, max: this.max }
  }

  private grow(ms: number): void {
    let size = this.dense.length
    while (size <= ms) size *= 2
    const bigger = new Float64Array(Math.min(size, DENSE_LIMIT))
    bigger.set(this.dense)
    this.dense = bigger
  }
}
