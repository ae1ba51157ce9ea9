import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULTS, type InputName, InputError, MAX_RETRIES, parseSettings } from '../src/engine/inputs.ts'
import { actionDefaults } from './support/action.ts'

const workspace = mkdtempSync(path.join(os.tmpdir(), 'inputs-'))
writeFileSync(path.join(workspace, 'go.mod'), 'module example.com/x\n\ngo 1.22\n')

const settings = (inputs: Partial<Record<InputName, string>>) => parseSettings(name => inputs[name] ?? '', workspace)

function failure(inputs: Partial<Record<InputName, string>>): InputError {
  try {
    settings(inputs)
  } catch (e) {
    expect(e).toBeInstanceOf(InputError)
    return e as InputError
  }
  throw new Error('expected an InputError')
}

describe('parseSettings', () => {
  it('keeps the same defaults as action.yml', () => {
    expect(actionDefaults()).toEqual(DEFAULTS)
  })

  it('turns blank inputs into the defaults', () => {
    expect(settings({})).toEqual({
      candidates: undefined,
      selection: 'ordered',
      probeTimeoutMs: 5000,
      timeoutMs: 600_000,
      stallTimeoutMs: 60_000,
      retries: 3,
      workingDirectory: workspace,
      cache: true,
      cacheDependencyPath: [],
      saveCache: true,
      cacheContents: 'downloads',
      buildCache: false,
      protectLaterSteps: true,
      laterStepsIdleMs: 7_200_000,
      prefetch: true,
      concurrency: 64,
      cacheTimeoutMs: 300_000
    })
  })

  it('reads every input', () => {
    const s = settings({
      proxies: 'https://goproxy-a.example.com\nhttps://mirror.example.com, direct',
      selection: 'fastest',
      'probe-timeout': '1.5',
      timeout: '1m30s',
      'stall-timeout': '45s',
      retries: '0',
      cache: 'False',
      'cache-dependency-path': 'a/go.sum\n\n  b/go.sum  \n',
      'save-cache': 'FALSE',
      'cache-timeout': '2m',
      'cache-contents': 'everything',
      prefetch: 'false',
      concurrency: '8'
    })
    expect(s.candidates?.map(c => c.spec)).toEqual(['https://goproxy-a.example.com', 'https://mirror.example.com', 'direct'])
    expect(s).toMatchObject({ selection: 'fastest', probeTimeoutMs: 1500, timeoutMs: 90_000, stallTimeoutMs: 45_000, retries: 0 })
    expect(s).toMatchObject({ cache: false, saveCache: false, cacheDependencyPath: ['a/go.sum', 'b/go.sum'], cacheTimeoutMs: 120_000, cacheContents: 'everything', prefetch: false, concurrency: 8 })
  })

  it.each<[Partial<Record<InputName, string>>, string, RegExp]>([
    [{ timeout: 'ten minutes' }, 'timeout', /"ten minutes" is not a duration/],
    [{ 'stall-timeout': '5x' }, 'stall-timeout', /not a duration/],
    [{ 'probe-timeout': '0s' }, 'probe-timeout', /longer than zero/],
    [{ timeout: '-1m' }, 'timeout', /not a duration/],
    [{ retries: '-1' }, 'retries', /not a whole number/],
    [{ retries: '2.5' }, 'retries', /not a whole number/],
    [{ retries: String(MAX_RETRIES + 1) }, 'retries', /more than the 20 allowed/],
    [{ selection: 'random' }, 'selection', /"random" is not one of: ordered, fastest/],
    [{ cache: 'yes' }, 'cache', /"yes" is not true or false/],
    [{ 'save-cache': '1' }, 'save-cache', /not true or false/],
    [{ 'cache-timeout': '0' }, 'cache-timeout', /longer than zero/],
    [{ concurrency: '0' }, 'concurrency', /0 is less than 1/],
    [{ concurrency: '1000' }, 'concurrency', /more than the 256 allowed/],
    [{ prefetch: 'maybe' }, 'prefetch', /not true or false/],
    [{ 'cache-contents': 'zips' }, 'cache-contents', /"zips" is not one of: downloads, everything/],
    [{ proxies: 'file://host/srv/goproxy' }, 'proxies', /is not a file:\/\/ proxy go accepts/],
    [{ proxies: 'ftp://example.com/goproxy' }, 'proxies', /uses ftp; only http and https proxies are supported, and file:\/\/\/ directories/],
    [{ proxies: 'goproxy-a.example.com' }, 'proxies', /is not a URL, "direct" or "off"/],
    [{ proxies: 'https://mirror.example.com/go proxy' }, 'proxies', /contains a space or a control character/],
    [{ proxies: 'https://mirror.example.com/\u0007' }, 'proxies', /control character/],
    [{ proxies: Array.from({ length: 17 }, (_, i) => `https://m${i}.example.com`).join(',') }, 'proxies', /at most 16/],
    [{ proxies: 'http://ci:t0ken@mirror.example.com' }, 'proxies', /credentials over plain http; use https/],
    [{ 'working-directory': 'missing' }, 'working-directory', /is not a directory/]
  ])('rejects %o naming %s', (inputs, input, message) => {
    const error = failure(inputs)
    expect(error.input).toBe(input)
    expect(error.message).toMatch(new RegExp(`^Input "${input}": `))
    expect(error.message).toMatch(message)
  })

  it('rejects a directory with neither go.mod nor go.work', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'empty-'))
    expect(failure({ 'working-directory': empty }).message).toMatch(/holds neither go.mod nor go.work/)
  })

  it('names a bad value before a folder without go.mod, wherever the setting sits in the list', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'empty-'))
    expect(failure({ 'working-directory': empty, retries: '50' }).input).toBe('retries')
    expect(failure({ 'working-directory': empty, concurrency: '0' }).input).toBe('concurrency')
  })

  it('never prints a credential in its error', () => {
    const error = failure({ proxies: 'ftp://user:s3cret@mirror.example.com' })
    expect(error.message).not.toContain('s3cret')
    expect(error.message).not.toContain('user')
    expect(error.message).toContain('ftp://***@mirror.example.com')
  })

  it('never prints a credential go or a WHATWG parser would read otherwise, and carries it to be masked', () => {
    const error = failure({ proxies: 'https://proxy.example.com\nhttps://user:pa\\ss@host.example' })
    expect(error.message).toBe('Input "proxies": "https://***@host.example" contains a backslash')
    expect(error.secrets).toEqual(['user:pa\\ss', 'user', 'pa\\ss', 'user%3Apa%5Css'])
    expect(failure({ retries: 'x' }).secrets).toEqual([])
  })

  it('hides and carries the credentials of a proxy URL given to another input', () => {
    for (const input of ['selection', 'stall-timeout', 'retries', 'prefetch'] as const) {
      const error = failure({ [input]: 'https://usr7:pa55@proxy.example.com' })
      expect(error.message).toMatch(new RegExp(`^Input "${input}": "https://\\*\\*\\*@proxy\\.example\\.com" `))
      expect(error.secrets).toContain('pa55')
    }
  })
})

describe('parseSettings, at its edges', () => {
  it('reads an input of spaces alone as blank, and a blank proxies as go’s own GOPROXY', () => {
    expect(settings({ selection: '  ', retries: ' ', proxies: ' \n ' })).toMatchObject({ selection: 'ordered', retries: 3, candidates: undefined })
    expect(settings({ selection: ' fastest ' }).selection).toBe('fastest')
  })

  it('takes the largest allowed values, and true in any of YAML’s spellings', () => {
    expect(settings({ retries: String(MAX_RETRIES), concurrency: '256' })).toMatchObject({ retries: MAX_RETRIES, concurrency: 256 })
    for (const yes of ['true', 'True', 'TRUE']) expect(settings({ 'build-cache': yes }).buildCache).toBe(true)
  })

  it.each<[Partial<Record<InputName, string>>, string, string]>([
    [{ retries: 'x' }, 'retries', 'Input "retries": "x" is not a whole number of zero or more'],
    [{ concurrency: 'x' }, 'concurrency', 'Input "concurrency": "x" is not a whole number of 1 or more'],
    [{ 'build-cache': 'on' }, 'build-cache', 'Input "build-cache": "on" is not true or false'],
    [{ 'protect-later-steps': 'on' }, 'protect-later-steps', 'Input "protect-later-steps": "on" is not true or false'],
    [{ 'later-steps-idle-timeout': 'x' }, 'later-steps-idle-timeout', 'Input "later-steps-idle-timeout": "x" is not a duration; write it like 90s, 1m30s, 10m or a number of seconds']
  ])('rejects %o naming %s exactly', (inputs, input, message) => {
    const error = failure(inputs)
    expect(error).toMatchObject({ name: 'InputError', input, message })
  })

  it('names working-directory when it holds neither go.mod nor go.work', () => {
    expect(failure({ 'working-directory': mkdtempSync(path.join(os.tmpdir(), 'empty-')) }).input).toBe('working-directory')
  })
})
