import { parseYamlValidated, YamlValidationError } from '../../src/config/yaml-validate.js'

// a small schema of the kind slo.yaml uses, to show the validator is not tied to peakcast.yaml
const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['objectives'],
  properties: {
    objectives: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['metric', 'pass'],
        properties: {
          metric: { type: 'string' },
          pass: { type: 'string' },
          key: { type: 'boolean' }
        }
      }
    },
    comparison: {
      type: 'object',
      additionalProperties: false,
      properties: { runs: { type: 'integer', minimum: 1 }, include: { enum: ['pass', 'all'] } }
    }
  }
}

function messageOf(text: string): string {
  try {
    parseYamlValidated(text, 'slo.yaml', schema)
  } catch (err) {
    expect(err).toBeInstanceOf(YamlValidationError)
    return (err as Error).message
  }
  throw new Error('not rejected')
}

describe('parseYamlValidated', () => {
  it('returns the value when it is valid', () => {
    const v = parseYamlValidated<{ objectives: { metric: string }[] }>('objectives:\n  - {metric: error_rate, pass: "< 1%"}\n', 'slo.yaml', schema)
    expect(v.objectives[0].metric).toBe('error_rate')
  })

  it('lists every problem as file:line field: message (expected …)', () => {
    const text = [
      'objectives:',
      '  - metric: p95(latency_ms)',
      '    pass: "< 300"',
      '    key: yes please',
      '  - {metric: error_rate}',
      'comparison: {runs: 0, include: some, extra: 1}',
      ''
    ].join('\n')
    expect(messageOf(text).split('\n')).toEqual([
      'slo.yaml: 5 problems:',
      '  slo.yaml:4 objectives[0].key: wrong type: got string "yes please" (expected boolean)',
      '  slo.yaml:5 objectives[1].pass: missing required key "pass" (expected string)',
      '  slo.yaml:6 comparison.extra: unknown key "extra" (expected one of: runs, include)',
      '  slo.yaml:6 comparison.include: string "some" is not allowed (expected one of: "pass", "all")',
      '  slo.yaml:6 comparison.runs: number 0 is out of range (expected a number >= 1)'
    ])
  })

  it('reports YAML syntax errors with line:col and no schema noise', () => {
    const message = messageOf('objectives:\n  - {metric: a, pass: b\ncomparison: {runs: 1}\n')
    expect(message).toMatch(/^slo\.yaml:\d+: YAML syntax error at \d+:\d+: /)
  })

  it('rejects duplicate keys as a syntax problem', () => {
    expect(messageOf('objectives: []\nobjectives: []\n')).toMatch(/^slo\.yaml:2: YAML syntax error at 2:1: Map keys must be unique/)
  })

  it('an empty file is a type problem at line 1', () => {
    expect(messageOf('')).toBe('slo.yaml:1: wrong type: got an empty value (expected object)')
  })
})
