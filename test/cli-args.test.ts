// The CLI's command line: commands, flags named like the action's inputs, and a clear refusal
// of anything else before anything runs.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_IDLE_TIMEOUT, DEFAULT_LISTEN, INPUT_FLAGS, parseArgs, USAGE, UsageError } from '../src/cli/args.ts'

describe('parseArgs', () => {
  it('downloads by default, with the action’s inputs as flags, in both spellings', () => {
    expect(parseArgs([])).toEqual({ command: 'download', inputs: {}, json: false, verbose: false, listen: DEFAULT_LISTEN, idleTimeout: DEFAULT_IDLE_TIMEOUT })
    const args = parseArgs(['--proxies', 'https://a.example.com,direct', '--stall-timeout=5s', '--retries', '0', '--json', '--working-directory', 'svc/api'])
    expect(args.command).toBe('download')
    expect(args.inputs).toEqual({ proxies: 'https://a.example.com,direct', 'stall-timeout': '5s', retries: '0', 'working-directory': 'svc/api' })
    expect(args.json).toBe(true)
  })

  it('takes switches on, off and as values', () => {
    expect(parseArgs(['--no-prefetch']).inputs.prefetch).toBe('false')
    expect(parseArgs(['--prefetch']).inputs.prefetch).toBe('true')
    expect(parseArgs(['--prefetch=false']).inputs.prefetch).toBe('false')
    expect(parseArgs(['download', '--json=false']).json).toBe(false)
    expect([parseArgs(['--verbose']).verbose, parseArgs(['serve', '--verbose']).verbose, parseArgs(['--no-verbose']).verbose]).toEqual([true, true, false])
  })

  it('serve takes where to listen and when to stop, and the same inputs', () => {
    const args = parseArgs(['serve', '--listen', '0.0.0.0:3000', '--idle-timeout=30m', '--proxies=https://a.example.com'])
    expect(args).toMatchObject({ command: 'serve', listen: '0.0.0.0:3000', idleTimeout: '30m', inputs: { proxies: 'https://a.example.com' } })
  })

  it('help and version win wherever they stand', () => {
    expect(parseArgs(['--help']).command).toBe('help')
    expect(parseArgs(['serve', '--listen', ':1', '-h']).command).toBe('help')
    expect(parseArgs(['help']).command).toBe('help')
    expect(parseArgs(['--version']).command).toBe('version')
  })

  it.each([
    [['fetch'], /unknown command "fetch"/],
    [['--bogus', 'x'], /download takes no flag --bogus/],
    [['download', '--listen', ':1'], /download takes no flag --listen/],
    [['serve', '--json'], /serve takes no flag --json/],
    [['--stall-timeout'], /--stall-timeout needs a value/],
    [['--no-retries'], /--retries is not a switch/],
    [['--no-prefetch=true'], /--no-prefetch takes no value/],
    [['--json=maybe'], /"maybe" is not true or false/],
    [['-x'], /"-x" is not a flag/],
    [['download', 'extra'], /"extra" is not a flag/],
    // The action's `prefetch: false`, written as a flag: the switch is named, and how to turn it off.
    [['--prefetch', 'false'], /^"false" is not a flag: --prefetch is a switch, on alone, off as --no-prefetch \(or --prefetch=false\)$/],
    [['--json', 'true', '--verbose'], /^"true" is not a flag: --json is a switch/],
    [['--no-prefetch', 'false'], /^"false" is not a flag; flags are written/],
    // A command written after a flag is no switch's value: not said as one.
    [['--json', 'serve'], /^"serve" is not a flag; flags are written/]
  ])('refuses %j, saying which word is wrong', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError)
    expect(() => parseArgs(argv)).toThrow(message)
  })

  // A URL given where a command or a flag was expected (--proxies forgotten) is quoted, its credentials redacted.
  it.each([
    [['https://usr7:pa\\55@proxy.example.com'], 'unknown command "https://***@proxy.example.com": the commands are download (the default) and serve'],
    [['download', 'https://usr7:pa 55@proxy.example.com'], '"https://***@proxy.example.com" is not a flag; flags are written --name value or --name=value (see --help)'],
    [['--json=https://usr7:pa55@proxy.example.com'], '--json is a switch: "https://***@proxy.example.com" is not true or false']
  ])('refuses %j without its credentials', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(new UsageError(message))
  })

  // --help and docs/cli.md name every flag the parser takes: one it takes and neither shows is one no user finds.
  it.each([...INPUT_FLAGS, 'json', 'verbose', 'listen', 'idle-timeout', 'help', 'version'])('--%s is in --help and in docs/cli.md', flag => {
    expect(USAGE).toContain(`--${flag}`)
    expect(readFileSync(path.join(import.meta.dirname, '..', 'docs', 'cli.md'), 'utf8')).toContain(`--${flag}`)
  })
})
