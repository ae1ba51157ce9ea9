// The messages below are what go 1.26 printed against the test proxies.
import { describe, expect, it } from 'vitest'
import { classify } from '../src/download/classify.ts'

const failed = (...errors: string[]) => classify({ exit: { code: 1, signal: null }, endedBy: 'exit', errors, waitingOn: [] })

describe('classify', () => {
  it('a clean exit is done', () => {
    expect(classify({ exit: { code: 0, signal: null }, endedBy: 'exit', errors: [], waitingOn: [] })).toEqual({ reason: 'ok', next: 'done', detail: '' })
  })

  it('a watchdog kill is retried with the next candidate, naming the request it was stuck on', () => {
    const c = classify({ exit: { code: null, signal: 'SIGKILL' }, endedBy: 'stall', errors: [], waitingOn: ['http://127.0.0.1:1/a/@v/v1.0.0.zip'] })
    expect(c).toEqual({ reason: 'stall', next: 'rotate', detail: 'waiting on http://127.0.0.1:1/a/@v/v1.0.0.zip' })
    expect(classify({ exit: { code: null, signal: 'SIGKILL' }, endedBy: 'timeout', errors: [], waitingOn: [] }).reason).toBe('timeout')
  })

  it('a checksum mismatch drops the candidate that served the bytes', () => {
    const c = failed(
      'verifying example.com/fixture/m002@v1.0.0: checksum mismatch',
      '\tdownloaded: h1:HC0MLCdGI+QLCLwc69/tuQ6Hoa5fkpckEh2EzIqFCiE=',
      '\tgo.sum:     h1:aXFOvd+J1fDjW/0feK1CavqDxnMDXZGkzV7r2q6BqYM=',
      '',
      'SECURITY ERROR'
    )
    expect(c).toEqual({ reason: 'checksum mismatch', next: 'drop-first', detail: 'verifying example.com/fixture/m002@v1.0.0: checksum mismatch' })
  })

  it.each([
    ['go: example.com/Fixture/m001@v1.0.0: reading http://127.0.0.1:41165/example.com/%21fixture/m001/@v/v1.0.0.mod: 503 Service Unavailable', 'network'],
    ['go: example.com/Fixture/m001@v1.0.0: Get "http://127.0.0.1:41843/x.mod": read tcp 127.0.0.1:53054->127.0.0.1:41843: read: connection reset by peer', 'network'],
    ['go: example.com/a@v1.0.0: Get "https://mirror.example.com/a/@v/v1.0.0.mod": dial tcp: lookup mirror.example.com: no such host', 'network'],
    ['go: example.com/a@v1.0.0: Get "https://127.0.0.1:40001/a/@v/v1.0.0.mod": stream error: stream ID 1; INTERNAL_ERROR; received from peer', 'http2 stream error'],
    ['go: something nobody has seen before', 'error']
  ])('retries %s as %s', (line, reason) => {
    expect(failed(line)).toMatchObject({ reason, next: 'rotate', detail: line })
  })

  it.each([
    ['go: example.com/Fixture/m001@v1.0.0: reading http://127.0.0.1:37171/example.com/%21fixture/m001/@v/v1.0.0.mod: 404 Not Found', 'not found'],
    ['go: example.com/a@v1.0.0: reading https://mirror.example.com/a/@v/v1.0.0.info: 410 Gone', 'not found'],
    ['go: example.com/Fixture/m001@v1.0.0: module lookup disabled by GOPROXY=off', 'proxy disabled'],
    ['go.mod:4: unknown directive: frobnicate', 'invalid go.mod'],
    ['go: github.com/acme/x@v1.2.3: invalid version: unknown revision v1.2.3', 'unknown revision'],
    ['go: example.com/a@v1.0.0: missing go.sum entry for go.mod file', 'missing go.sum entry'],
    ['go: go.mod requires go >= 1.99 (running go 1.26.8; GOTOOLCHAIN=local)', 'go too old']
  ])('stops at once on %s (%s)', (line, reason) => {
    expect(failed(line)).toMatchObject({ reason, next: 'stop' })
  })
})

describe('classify, at its edges', () => {
  it('a go.mod error on a line past 9 stops too', () => {
    expect(failed('/home/runner/work/m/go.mod:12: unknown directive: toolchainx')).toMatchObject({ reason: 'invalid go.mod', next: 'stop' })
  })

  it('a kill names at most three requests it was stuck on, or says there was no progress', () => {
    const waitingOn = ['http://p/a.zip', 'http://p/b.zip', 'http://p/c.zip', 'http://p/d.zip']
    expect(classify({ exit: { code: null, signal: 'SIGKILL' }, endedBy: 'stall', errors: [], waitingOn }).detail).toBe('waiting on http://p/a.zip, http://p/b.zip, http://p/c.zip')
    expect(classify({ exit: { code: null, signal: 'SIGKILL' }, endedBy: 'stall', errors: [], waitingOn: [] }).detail).toBe('no progress')
  })

  it('quotes the line that matched, trimmed; otherwise go’s last non-blank line of its own, or the exit', () => {
    expect(failed('go: reading http://p/m/@v/v1.0.0.mod: 503 Service Unavailable  ').detail).toBe('go: reading http://p/m/@v/v1.0.0.mod: 503 Service Unavailable')
    // An indented line is what go quotes (a server's body), never go's own last word.
    expect(failed('first thing', 'the last thing  ', '\tquoted by go', '   ', '')).toEqual({ reason: 'error', next: 'rotate', detail: 'the last thing' })
    expect(classify({ exit: { code: 2, signal: null }, endedBy: 'exit', errors: [], waitingOn: [] }).detail).toBe('exit code 2')
    expect(classify({ exit: { code: null, signal: 'SIGTERM' }, endedBy: 'exit', errors: [''], waitingOn: [] }).detail).toBe('exit code SIGTERM')
  })

  it('a line go ends with a colon takes the first line it quotes (git’s reason), cut at 300 characters; other lines are shown alone', () => {
    const line = 'go: example.com/m.git@v1.0.0: git ls-remote -q origin in /mc/cache/vcs/1: exit status 128:'
    expect(failed(line, "\tfatal: could not read Username for 'https://example.com': terminal prompts disabled", '\tmore').detail).toBe(
      `${line} fatal: could not read Username for 'https://example.com': terminal prompts disabled`
    )
    expect(failed(line, `\t${'x'.repeat(400)}`).detail).toBe(`${line} ${'x'.repeat(300)}…`)
    expect(failed(line, '\tremote: denied\r::error::forged').detail).toBe(`${line} remote: denied`)
    // Nothing quoted after it (the next line is go's own): the line alone.
    expect(failed(line, 'go: something else').detail).toBe('go: something else')
    expect(failed(line).detail).toBe(line)
    expect(failed('go: example.com/m@v1.0.0: reading https://example.com/m/@v/v1.0.0.zip: 500 Internal Server Error', '\tserver response: oops').detail).toBe(
      'go: example.com/m@v1.0.0: reading https://example.com/m/@v/v1.0.0.zip: 500 Internal Server Error'
    )
  })
})
