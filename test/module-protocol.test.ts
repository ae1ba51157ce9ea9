// The module protocol's decisions that are not go's to check by oracle: the 404/410 rule, the
// request paths the action sends, and what a checked request stands for.
import { describe, expect, it } from 'vitest'
import { ABSENT_IN_GO_ERROR, isAbsent } from '../src/module/absent.ts'
import { MAX_BYTES } from '../src/module/limits.ts'
import { downloadPath, latestPath, listPath, parseRequestPath, type ProxyRequest, wirePath } from '../src/module/request.ts'
import { jobFor, knownFiles } from '../src/module/vouched.ts'

describe('a proxy that lacks a module', () => {
  it('says so with 404 or 410, and nothing else', () => {
    expect([200, 301, 400, 403, 404, 410, 429, 500, 502].filter(isAbsent)).toEqual([404, 410])
    // As classify.ts reads go's line: the reason phrase, a server's own words, is cut.
    expect(ABSENT_IN_GO_ERROR.test('reading https://proxy.example.com/a/@v/v1.0.0.mod: 404')).toBe(true)
    expect(ABSENT_IN_GO_ERROR.test('reading https://proxy.example.com/a/@v/v1.0.0.mod: 410')).toBe(true)
    expect(ABSENT_IN_GO_ERROR.test('reading https://proxy.example.com/a/@v/v1.0.0.mod: 403')).toBe(false)
    expect(ABSENT_IN_GO_ERROR.test('reading file:///srv/goproxy/a/@v/v1.0.0.mod: no such file or directory')).toBe(true)
  })
})

describe('request paths', () => {
  it('are escaped as go escapes them, and %-encoded as go sends them', () => {
    expect(downloadPath('github.com/BurntSushi/toml', 'v1.0.0-RC1', 'zip')).toBe('github.com/!burnt!sushi/toml/@v/v1.0.0-!r!c1.zip')
    expect(listPath('example.com/A')).toBe('example.com/!a/@v/list')
    expect(latestPath('example.com/A')).toBe('example.com/!a/@latest')
    expect(wirePath('example.com/!a/@v/v1.0.0 %.info')).toBe('example.com/%21a/@v/v1.0.0%20%25.info')
    expect(() => downloadPath('example.com/../x', 'v1.0.0', 'zip')).toThrow(/malformed module path/)
    expect(() => downloadPath('example.com/x', '../v1.0.0', 'zip')).toThrow(/malformed version/)
  })

  it('stand for a file go.sum vouches for, kept and checked; or anything else, passed through with its kind’s limit', () => {
    const hash = 'h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ='
    const known = knownFiles([{ module: 'example.com/A', version: 'v1.0.0', goMod: false, hash }], () => false)
    const job = (p: string) => jobFor(known, parseRequestPath(p) as ProxyRequest)
    expect(job('example.com/%21a/@v/v1.0.0.zip')).toEqual({ module: 'example.com/A', version: 'v1.0.0', kind: 'zip', hash, path: 'example.com/!a/@v/v1.0.0.zip', maxBytes: MAX_BYTES.zip })
    expect(job('example.com/!a/@v/v1.0.0.info')).toEqual({ module: 'example.com/A', version: 'v1.0.0', kind: 'info', path: 'example.com/!a/@v/v1.0.0.info', maxBytes: MAX_BYTES.info })
    expect(job('example.com/!a/@v/master.info')).toEqual({ module: 'example.com/A', version: 'master', kind: 'info', path: 'example.com/!a/@v/master.info', maxBytes: MAX_BYTES.info })
    expect(job('example.com/!a/@v/v2.0.0.mod')).toMatchObject({ kind: 'other', transient: true, maxBytes: MAX_BYTES.mod })
    expect(job('example.com/!a/@v/list')).toMatchObject({ kind: 'other', transient: true, path: 'example.com/!a/@v/list', maxBytes: MAX_BYTES.list })
    expect(job('example.com/!a/@latest')).toMatchObject({ kind: 'other', transient: true, maxBytes: MAX_BYTES.latest })
  })
})
