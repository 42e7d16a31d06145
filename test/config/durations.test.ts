import fc from 'fast-check'
import { formatDuration, parseDuration } from '../../src/config/durations.js'

describe('durations', () => {
  it.each([
    ['30m', 1800],
    ['90s', 90],
    ['1h30m', 5400],
    ['1h 30m 15s', 5415],
    ['0.5h', 1800],
    ['2h', 7200],
    [45, 45],
    [0, 0]
  ])('%p is %p s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds)
  })

  it.each(['', 'm', '30', '30 minutes', '1m1h', '-5m', '5ms'])('rejects %p with the accepted forms and the place', text => {
    expect(() => parseDuration(text, { file: 'peakcast.yaml', line: 7, field: 'services[0].duration' })).toThrow(
      `peakcast.yaml:7 services[0].duration: ${JSON.stringify(text)} is not a duration (write it like "30m", "90s", "1h30m", or a number of seconds)`
    )
  })

  it('rejects negative and non-finite numbers', () => {
    expect(() => parseDuration(-1)).toThrow(/not a duration/)
    expect(() => parseDuration(Number.POSITIVE_INFINITY)).toThrow(/not a duration/)
  })

  it('formats whole seconds in the shortest form', () => {
    expect(formatDuration(1800)).toBe('30m')
    expect(formatDuration(5415)).toBe('1h30m15s')
    expect(formatDuration(3600)).toBe('1h')
    expect(formatDuration(0)).toBe('0s')
    expect(() => formatDuration(1.5)).toThrow(/whole/)
  })

  it('format then parse gives the same seconds', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 * 86400 }), s => parseDuration(formatDuration(s)) === s))
  })
})
