import { generatorHealth } from '../../src/jmeter/generator-health.js'
import { runStats, spread } from '../fixtures/slo/run-stats.js'

// 1200 requests in 10 s = 120 rps achieved
const stats = runStats([{ label: 'GET /', elapsed: spread(1200, 10, 90) }], { durationS: 10 })

describe('generatorHealth', () => {
  test('short of the target while latency is healthy: the generator was the limit', () => {
    const h = generatorHealth({ stats, targetRps: 200, shards: 3, latencyHealthy: true })
    expect(h.bottleneck).toBe(true)
    expect(h.achievedRatio).toBeCloseTo(120 / 200, 12)
    expect(h.recommendedShards).toBe(Math.ceil((3 * 200) / 120))
    expect(h.reason).toMatch(/120\.0 rps = 60\.0% of the 200\.0 rps target while latency stayed healthy/)
  })

  test('short of the target with unhealthy latency: the service is the limit, no more shards', () => {
    const h = generatorHealth({ stats, targetRps: 200, shards: 3, latencyHealthy: false })
    expect(h.bottleneck).toBe(false)
    expect(h.recommendedShards).toBe(3)
    expect(h.reason).toMatch(/service, not the load generator/)
  })

  test('at 95% of the target or above, nothing to report', () => {
    const h = generatorHealth({ stats, targetRps: 120 / 0.95, shards: 2, latencyHealthy: true })
    expect(h.bottleneck).toBe(false)
    expect(generatorHealth({ stats, targetRps: 120 / 0.94, shards: 2, latencyHealthy: true }).bottleneck).toBe(true)
  })

  test('a saturated engine CPU is a bottleneck even at the target rate, and asks for at least one more shard', () => {
    const h = generatorHealth({ stats, targetRps: 120, shards: 2, latencyHealthy: true, cpu: { maxPercent: 97 } })
    expect(h.bottleneck).toBe(true)
    expect(h.recommendedShards).toBe(3)
    expect(h.reason).toMatch(/CPU peaked at 97%/)
    expect(generatorHealth({ stats, targetRps: 120, shards: 2, latencyHealthy: true, cpu: { maxPercent: 90 } }).bottleneck).toBe(false)
  })

  test('without a target there is nothing to compare with', () => {
    const h = generatorHealth({ stats, shards: 1, latencyHealthy: true })
    expect(h).toMatchObject({ bottleneck: false, recommendedShards: 1, achievedRps: 120 })
    expect(h.achievedRatio).toBeUndefined()
  })
})
