// GOAUTH and .netrc as cmd/go applies them.
import { spawn, execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadGoAuth, parseAuthOutput, splitQuoted } from '../src/net/goauth.ts'
import { netrcPath, parseNetrc } from '../src/net/netrc.ts'

const basic = (pair: string) => [`Basic ${Buffer.from(pair).toString('base64')}`]
const temp = () => mkdtempSync(path.join(os.tmpdir(), 'goauth-'))

describe('parseNetrc', () => {
  it('reads machine, login and password across lines, skips macros, stops at a default that ends its line', () => {
    const text = [
      'machine a.example.com login alice password one',
      'machine b.example.com:8443',
      '  login bob',
      '  password two',
      'macdef init',
      'machine hidden.example.com login x password y',
      '',
      'machine incomplete.example.com login nobody',
      // go reads on past a default with tokens after it on its line (its loop checks only the last token)…
      'default login anyone password any',
      'machine after.example.com login late password three',
      // …and stops at one that ends its line.
      'default',
      'machine never.example.com login x password y'
    ].join('\n')
    expect(parseNetrc(text)).toEqual([
      { machine: 'a.example.com', login: 'alice', password: 'one' },
      { machine: 'b.example.com:8443', login: 'bob', password: 'two' },
      { machine: 'after.example.com', login: 'late', password: 'three' }
    ])
  })

  it('is found at $NETRC, else in the home directory', () => {
    expect(netrcPath({ NETRC: '/x/netrc', HOME: '/home/u' }, 'linux')).toBe('/x/netrc')
    expect(netrcPath({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.netrc')
    expect(netrcPath({ USERPROFILE: 'C:\\Users\\u' }, 'win32')).toMatch(/_netrc$/)
  })
})

describe('GOAUTH commands', () => {
  it('splits words as go does, quotes kept together', () => {
    expect(splitQuoted(`/bin/auth --flag 'a b' "c d" e`)).toEqual(['/bin/auth', '--flag', 'a b', 'c d', 'e'])
    expect(() => splitQuoted(`x 'open`)).toThrow('unterminated')
  })

  it('parses prefix blocks and their headers', () => {
    const output = 'https://a.example.com\nhttps://b.example.com/private/\n\nAuthorization: Bearer t0k\nX-Extra: 1\n\nhttps://c.example.com\n\nAuthorization: Basic abc\n\n'
    const parsed = parseAuthOutput(output)
    expect([...parsed.keys()]).toEqual(['a.example.com', 'b.example.com/private', 'c.example.com'])
    expect(parsed.get('b.example.com/private')).toEqual({ Authorization: ['Bearer t0k'], 'X-Extra': ['1'] })
    expect(() => parseAuthOutput('http://plain.example.com\n\n\n')).toThrow('expected url prefix')
  })
})

describe('loadGoAuth', () => {
  it('netrc: matched on the URL host as written (port included), walking up the path; never over http', async () => {
    const dir = temp()
    writeFileSync(path.join(dir, 'netrc'), 'machine mirror.example.com login a password first\nmachine mirror.example.com login b password second\nmachine 127.0.0.1:8443 login c password third\n')
    const auth = await loadGoAuth('netrc', { NETRC: path.join(dir, 'netrc') }, 'linux')
    expect(auth.headersFor(new URL('https://mirror.example.com/go/m/@v/list'))).toEqual({ Authorization: basic('a:first') })
    expect(auth.headersFor(new URL('https://127.0.0.1:8443/m/@v/list'))).toEqual({ Authorization: basic('c:third') })
    expect(auth.headersFor(new URL('https://127.0.0.1:9443/m/@v/list'))).toBeUndefined()
    expect(auth.headersFor(new URL('http://mirror.example.com/m/@v/list'))).toBeUndefined()
    // Credentials in the URL itself are the URL's own; GOAUTH does not add to them.
    expect(auth.headersFor(new URL('https://u:p@mirror.example.com/m'))).toBeUndefined()
    // Every password it read is masked, the shadowed second entry's too.
    expect(auth.secrets()).toEqual(expect.arrayContaining(['first', 'second', 'third']))
  })

  it('netrc: a login as long as a token is masked (a token given as the login), a name is not', async () => {
    const dir = temp()
    const token = 'ghp_l0gin7Qt0ken000000000000000000000'
    writeFileSync(path.join(dir, 'netrc'), `machine a.example.com login ${token} password x-oauth-basic\nmachine b.example.com login gitlab-ci-token password s3cret\n`)
    const auth = await loadGoAuth('netrc', { NETRC: path.join(dir, 'netrc') }, 'linux')
    expect(auth.secrets()).toContain(token)
    expect(auth.secrets()).not.toContain('gitlab-ci-token')
  })

  it('off: nothing, and it cannot be combined', async () => {
    const dir = temp()
    writeFileSync(path.join(dir, 'netrc'), 'machine mirror.example.com login a password first\n')
    const auth = await loadGoAuth('off', { NETRC: path.join(dir, 'netrc') }, 'linux')
    expect(auth.headersFor(new URL('https://mirror.example.com/x'))).toBeUndefined()
    await expect(loadGoAuth('off;netrc', {}, 'linux')).rejects.toThrow('GOAUTH=off cannot be combined')
  })

  it('a command: run once at start, again with the URL after a 4xx; the first method listed wins', async () => {
    const dir = temp()
    const script = path.join(dir, 'auth.sh')
    writeFileSync(
      script,
      `#!/bin/sh\necho "$@" >> "${dir}/calls"\nprintf 'https://mirror.example.com/go\\n\\nAuthorization: Bearer from-command%s\\n\\n' "$1"\n`
    )
    chmodSync(script, 0o755)
    writeFileSync(path.join(dir, 'netrc'), 'machine mirror.example.com login a password from-netrc\n')
    const auth = await loadGoAuth(`${script};netrc`, { NETRC: path.join(dir, 'netrc'), PATH: process.env.PATH }, 'linux')
    expect(auth.headersFor(new URL('https://mirror.example.com/go/m/@v/list'))).toEqual({ Authorization: ['Bearer from-command'] })
    // Outside the command's prefix, netrc's machine still matches.
    expect(auth.headersFor(new URL('https://mirror.example.com/other'))).toEqual({ Authorization: basic('a:from-netrc') })
    expect(await auth.refresh(new URL('https://mirror.example.com/go/m/@v/list'), '401')).toBe(true)
    expect(auth.headersFor(new URL('https://mirror.example.com/go/m/@v/list'))).toEqual({
      Authorization: ['Bearer from-commandhttps://mirror.example.com/go/m/@v/list']
    })
    expect(auth.secrets()).toContain('from-command')
  })

  it('git: go\'s alone, listed as not applied', async () => {
    const auth = await loadGoAuth('git /src', {}, 'linux')
    expect(auth.unsupported).toEqual(['git /src'])
    expect(await auth.refresh(new URL('https://mirror.example.com/x'), '401')).toBe(false)
  })
})

describe('a .netrc that is not a file', () => {
  it('a FIFO is refused at once, not read until a writer comes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'netrc-fifo-'))
    const fifo = path.join(dir, 'netrc')
    execFileSync('mkfifo', [fifo])
    // A writer that comes after 3 s and goes: without it, a blocking read would hold this thread for good.
    const writer = spawn('sh', ['-c', 'sleep 3; exec 3>"$0"; sleep 1', fifo], { stdio: 'ignore' })
    try {
      const started = performance.now()
      await expect(loadGoAuth('netrc', { NETRC: fifo }, 'linux')).rejects.toThrow(`cannot read ${fifo} (GOAUTH=netrc): not a regular file`)
      expect(performance.now() - started).toBeLessThan(1000)
    } finally {
      writer.kill('SIGKILL')
    }
  }, 15_000)
})
