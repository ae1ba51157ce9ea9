import { describe, expect, it } from 'vitest'
import { maskSecrets, redactUrl, secretsIn, userinfoOf } from '../src/util/credentials.ts'
import { assembleChain, type Candidate, candidatesOf, demote, goproxyDisplay, goproxyValue, parseCandidates, requestUrl, rotateChain } from '../src/go/goproxy.ts'

const specs = (chain: Candidate[]) => chain.map(c => c.spec)

describe('parseCandidates', () => {
  it('splits on newlines, commas and pipes, drops blanks, duplicates and trailing slashes', () => {
    const candidates = parseCandidates('https://a.example.com/,\n  https://b.example.com/go | direct\n\nhttps://a.example.com\noff')
    expect(specs(candidates)).toEqual(['https://a.example.com', 'https://b.example.com/go', 'direct', 'off'])
    expect(candidates.map(c => c.keyword)).toEqual([false, false, true, true])
  })

  it('shows credentials masked but keeps them for go', () => {
    const [candidate] = parseCandidates('https://ci:t0ken@goproxy.example.com')
    expect(candidate).toEqual({ spec: 'https://ci:t0ken@goproxy.example.com', display: 'https://***@goproxy.example.com', keyword: false })
  })
})

describe('the chain', () => {
  const [a, b, direct, c] = parseCandidates('https://a.example.com,https://b.example.com,direct,https://c.example.com') as Candidate[]
  const all = [a, b, direct, c] as Candidate[]

  it('keeps keywords where they were given and drops unhealthy URLs', () => {
    expect(specs(assembleChain(all, [c as Candidate, a as Candidate]))).toEqual(['https://c.example.com', 'https://a.example.com', 'direct'])
    expect(specs(assembleChain(all, [b as Candidate]))).toEqual(['https://b.example.com', 'direct'])
    expect(specs(assembleChain(all, []))).toEqual(['direct'])
  })

  it('rotates only the URLs, so a retry puts the next one first', () => {
    const chain = assembleChain(all, [a, b, c] as Candidate[])
    expect(specs(rotateChain(chain, 1))).toEqual(['https://b.example.com', 'https://c.example.com', 'direct', 'https://a.example.com'])
    expect(specs(rotateChain(chain, 3))).toEqual(specs(chain))
    expect(specs(rotateChain([direct as Candidate], 1))).toEqual(['direct'])
  })

  it('moves entries whose requests failed during a successful download to the back', () => {
    const chain = parseCandidates('https://u:p@a.example.com/go,direct,https://b.example.com')
    const failed = ['https://a.example.com/go/example.com/m/@v/v1.0.0.zip']
    const result = demote(chain, candidatesOf(chain, failed))
    expect(specs(result.chain)).toEqual(['https://b.example.com', 'direct', 'https://u:p@a.example.com/go'])
    expect(specs(result.demoted)).toEqual(['https://u:p@a.example.com/go'])
    // A path prefix is not a match: /go is not /gox.
    expect(candidatesOf(chain, ['https://a.example.com/gox/m/@v/list'])).toEqual([])
    // When every URL failed somewhere, the order stays: there is nothing better to put first.
    expect(specs(demote(chain, candidatesOf(chain, [...failed, 'https://b.example.com/m/@v/list'])).chain)).toEqual(specs(chain))
  })

  it('addresses a request under the candidate\'s own path, keeping its credentials for the client', () => {
    const [plain, secret] = parseCandidates('https://mirror.example.com/go,https://ci:t0ken@goproxy.example.com')
    expect(requestUrl(plain as Candidate, '/m/@v/list')).toBe('https://mirror.example.com/go/m/@v/list')
    expect(requestUrl(secret as Candidate, 'm/@v/v1.0.0.zip')).toBe('https://ci:t0ken@goproxy.example.com/m/@v/v1.0.0.zip')
  })

  it('joins with | so that go moves on after any error', () => {
    const chain = parseCandidates('https://u:p@a.example.com,direct')
    expect(goproxyValue(chain)).toBe('https://u:p@a.example.com|direct')
    expect(goproxyDisplay(chain)).toBe('https://***@a.example.com|direct')
  })
})

describe('credentials', () => {
  it('shows every URL as scheme://***@host/path: user name and password alike, however many @ the password holds', () => {
    expect(redactUrl('https://user:pa%40ss@host.example.com/go/')).toBe('https://***@host.example.com/go/')
    expect(redactUrl('https://ghp_abc123@host.example.com')).toBe('https://***@host.example.com')
    expect(redactUrl('https://ghp_abc123:x-oauth-basic@host.example.com')).toBe('https://***@host.example.com')
    expect(redactUrl('https://ci:s3cr@t@host.example.com/go')).toBe('https://***@host.example.com/go')
    expect(redactUrl('https://host.example.com/a@b')).toBe('https://host.example.com/a@b')
    expect(redactUrl('https://host.example.com?q=a@b')).toBe('https://host.example.com?q=a@b')
  })

  it('reads credentials as go does: the userinfo ends at the last @, splits at the first :, and refuses what go refuses', () => {
    expect(userinfoOf('https://ci:s3cr@t@host.example.com/go')).toEqual({ username: 'ci', password: 's3cr@t', written: 'ci:s3cr@t' })
    expect(userinfoOf('https://u%3Ax:p:q@host.example.com')).toEqual({ username: 'u:x', password: 'p:q', written: 'u%3Ax:p:q' })
    expect(userinfoOf('https://token@host.example.com')).toEqual({ username: 'token', password: '', written: 'token' })
    expect(userinfoOf('https://host.example.com/a@b')).toBeUndefined()
    expect(() => userinfoOf('https://u:p%zz@host.example.com')).toThrow(/invalid %-escape/)
    expect(() => userinfoOf('https://u:p[@host.example.com')).toThrow(/character go refuses/)
    expect(() => parseCandidates('https://a\\b@host.example.com/go')).toThrow(/backslash/)
    expect(() => parseCandidates('https://u:p%zz@host.example.com')).toThrow(/invalid %-escape/)
  })

  it('lists every part of the userinfo, as written, decoded and re-escaped, for log masking', () => {
    expect(secretsIn('https://user:pa%40ss@host.example.com')).toEqual(expect.arrayContaining(['user:pa%40ss', 'user', 'pa%40ss', 'pa@ss']))
    expect(secretsIn('https://ghp_x:x-oauth-basic@host.example.com')).toEqual(expect.arrayContaining(['ghp_x', 'x-oauth-basic']))
    expect(secretsIn('https://ci:s3cr@t@host.example.com')).toEqual(expect.arrayContaining(['ci:s3cr@t', 'ci', 's3cr@t', 's3cr%40t']))
    // Decoded, as go prints a user name in its messages.
    expect(secretsIn('https://us%65r:p%61ss@host.example.com')).toEqual(expect.arrayContaining(['user', 'pass']))
    expect(secretsIn('https://tok@host.example.com')).toEqual(['tok'])
    expect(secretsIn('https://host.example.com')).toEqual([])
  })

  it('masks every secret in a text, the longest first', () => {
    expect(maskSecrets('GOPROXY=https://u:tok@h|https://u:tok@g', ['tok', ''])).toBe('GOPROXY=https://u:***@h|https://u:***@g')
    expect(maskSecrets('https://ci:s3cr@t@h', ['ci', 's3cr@t', 'ci:s3cr@t'])).toBe('https://***@h')
  })
})

describe('candidates and the chain, at their edges', () => {
  it('skips blank entries between separators; refuses an empty list, and more than 16', () => {
    expect(specs(parseCandidates('https://a.example.com, ,| |https://b.example.com'))).toEqual(['https://a.example.com', 'https://b.example.com'])
    expect(() => parseCandidates(' ,\n| ')).toThrow('no proxy given')
    expect(parseCandidates(Array.from({ length: 16 }, (_, i) => `https://m${i}.example.com`).join(','))).toHaveLength(16)
  })

  it('takes plain http without credentials; refuses any credential over plain http; drops every trailing slash', () => {
    expect(specs(parseCandidates('http://mirror.example.com///'))).toEqual(['http://mirror.example.com'])
    expect(() => parseCandidates('http://:t0ken@mirror.example.com')).toThrow('carries credentials over plain http')
  })

  it('names every entry that a request went to, and none for a line that is no URL', () => {
    const chain = parseCandidates('https://a.example.com,https://b.example.com,direct')
    expect(specs(candidatesOf(chain, ['https://a.example.com/m/@v/list', 'https://b.example.com/m/@v/list']))).toEqual(['https://a.example.com', 'https://b.example.com'])
    expect(candidatesOf(chain, ['not a url'])).toEqual([])
  })

  it('demotes nothing when nothing misbehaved, and nothing when every URL did, keywords aside', () => {
    const chain = parseCandidates('https://a.example.com,direct,https://b.example.com')
    expect(demote(chain, [])).toEqual({ chain, demoted: [] })
    expect(demote(chain, chain.filter(c => !c.keyword))).toEqual({ chain, demoted: [] })
  })

  it('joins a candidate’s path and a request path with one slash, whatever either holds', () => {
    const candidate = { spec: 'https://a.example.com/go//', display: 'https://a.example.com/go//', keyword: false }
    expect(requestUrl(candidate, '//m/@v/list')).toBe('https://a.example.com/go/m/@v/list')
  })
})

describe('credentials, at their edges', () => {
  it('redacts a password given without a user name', () => {
    expect(redactUrl('https://:t0ken@host.example.com')).toBe('https://***@host.example.com')
  })
})
