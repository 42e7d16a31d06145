import { parseArgv } from '../../src/terminal.js'
import { parseOptions, type Command } from '../../src/commands/command.js'

const cmd: Command = {
  name: 'x',
  summary: '',
  options: [
    { name: 'data', description: 'file', type: 'string', required: true },
    { name: 'weeks', description: 'n', type: 'number', default: '8' },
    { name: 'json', description: 'b', type: 'boolean' }
  ],
  run: async () => ({ text: '' })
}

describe('argv and options', () => {
  it('parses --k v, --k=v and bare flags', () => {
    const { command, flags } = parseArgv(['backtest', '--data', 'a.csv', '--weeks=4', '--json'])
    expect(command).toBe('backtest')
    expect(parseOptions(cmd, n => flags.get(n))).toEqual({ data: 'a.csv', weeks: 4, json: true })
  })
  it('applies defaults and names a bad or missing option', () => {
    expect(parseOptions(cmd, n => (n === 'data' ? 'f' : undefined))).toEqual({ data: 'f', weeks: 8 })
    expect(() => parseOptions(cmd, () => undefined)).toThrow(/--data is required/)
    expect(() => parseOptions(cmd, n => (n === 'weeks' ? 'many' : 'f'))).toThrow(/--weeks must be a number, got "many"/)
  })
})
