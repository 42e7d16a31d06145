import { jmeterTimeoutMs } from '../../src/commands/test.js'
import { drainSeconds } from '../../src/jmeter/jmx.js'
import { TWO_PROFILES } from '../fixtures/profiles/two-profiles.js'
import { demoWorkload } from '../helpers/jmeter.js'

describe('jmeterTimeoutMs', () => {
  const plain = demoWorkload('http://127.0.0.1:8080')

  test('the schedule and the plan drain plus 20 %, plus JVM start, plus the image pull with Docker', () => {
    const { rampUp, duration } = plain.test
    const local = Math.ceil((rampUp + duration + 10) * 1.2 + 180) * 1000
    expect(jmeterTimeoutMs(plain, 'local')).toBe(local)
    expect(jmeterTimeoutMs(plain, 'docker')).toBe(local + 300_000)
  })

  test('a workload with behaviour profiles waits for its longer session drain', () => {
    // human think times (tens of seconds): sessions last minutes, so the plan drains longer
    const slow = TWO_PROFILES.map(p => ({ ...p, thinkTime: { ...p.thinkTime, meanMs: 100 * p.thinkTime.meanMs, stdDevMs: 100 * p.thinkTime.stdDevMs } }))
    const sessions = { ...plain, profiles: slow }
    expect(drainSeconds(sessions)).toBeGreaterThan(10)
    expect(jmeterTimeoutMs(sessions, 'local') - jmeterTimeoutMs(plain, 'local')).toBeGreaterThanOrEqual(
      Math.floor((drainSeconds(sessions) - 10) * 1.2) * 1000
    )
  })
})
