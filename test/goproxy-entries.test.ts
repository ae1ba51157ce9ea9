// Which `proxies` entries are taken, and why the others are refused: a URL whose requests go
// where go's would (its host read as go reads it, a default port aside), with credentials go
// accepts; a file:// directory exactly as go's newProxyRepo accepts one. And which entries the
// chain can do without. Pure: file-proxy.test.ts and network.test.ts run go on them.
import { describe, expect, it } from 'vitest'
import { type Candidate, EntryError, leaveOut, parseCandidates } from '../src/go/goproxy.ts'

const refusal = (entry: string): Error => {
  try {
    parseCandidates(entry)
  } catch (e) {
    return e as Error
  }
  throw new Error(`${entry} was taken`)
}

describe('a URL entry', () => {
  it('is taken with a default port written out, or any other port, as go sends it', () => {
    for (const entry of ['https://proxy.example.com:443', 'http://proxy.example.com:80', 'https://proxy.example.com:4430', 'http://proxy.example.com:8080', 'http://proxy.example.com:443', 'https://proxy.example.com:80']) {
      expect(parseCandidates(`${entry}/`), entry).toEqual([{ spec: entry, display: entry, keyword: false }])
    }
  })

  it('that only mentions file: is a URL like any other', () => {
    expect(parseCandidates('https://proxy.example.com/file:x')).toEqual([{ spec: 'https://proxy.example.com/file:x', display: 'https://proxy.example.com/file:x', keyword: false }])
  })

  it('is refused where go would send its requests elsewhere, saying where', () => {
    const noAuthority = refusal('https:proxy.example.com')
    expect(noAuthority.message).toBe('"https:proxy.example.com" is not a URL, "direct" or "off": go would send its requests to "", not "proxy.example.com"')
    expect(noAuthority.cause).toBeInstanceOf(Error)
    expect(refusal('https://9/').message).toBe('"https://9/" is not a URL, "direct" or "off": go would send its requests to "9", not "0.0.0.9"')
  })

  it('is refused, credentials masked, where go refuses its user name or password', () => {
    expect(refusal('https://u:p[@proxy.example.com').message).toBe('"https://***@proxy.example.com" is not a URL, "direct" or "off": its user name or password holds a character go refuses there')
  })

  // Each refusal, reached with credentials that hold a character or two go or a WHATWG parser reads otherwise:
  // the entry is quoted with all that could be userinfo redacted, and what it hid is carried to be masked.
  it.each([
    ['https://usr7:pa\\55@proxy.example.com', '"https://***@proxy.example.com" contains a backslash', 'pa\\55'],
    ['https://usr7:pa 55@proxy.example.com', '"https://***@proxy.example.com" contains a space or a control character', 'pa 55'],
    ['https://usr7:pa55\u0001@proxy.example.com', '"https://***@proxy.example.com" contains a space or a control character', 'pa55\u0001'],
    ['https://usr7:pa55%zz@proxy.example.com', '"https://***@proxy.example.com" holds an invalid %-escape', 'pa55%zz'],
    ['https://usr7:pa55[@proxy.example.com', '"https://***@proxy.example.com" is not a URL, "direct" or "off": its user name or password holds a character go refuses there', 'pa55['],
    ['https://usr7:ab/pa55@proxy.example.com', '"https://***@proxy.example.com" is not a URL, "direct" or "off"', 'usr7:ab/pa55'],
    ['https://usr7:pa?55@proxy.example.com', '"https://***@proxy.example.com" is not a URL, "direct" or "off"', 'usr7:pa?55'],
    ['https://usr7:0443/pa55@proxy.example.com', '"https://***@proxy.example.com" is not a URL, "direct" or "off": go would send its requests to another host than a WHATWG parser reads', 'usr7:0443/pa55'],
    ['https:usr7:pa55@proxy.example.com', '"***@proxy.example.com" is not a URL, "direct" or "off": go would send its requests to another host than a WHATWG parser reads', 'https:usr7:pa55'],
    ['ftp://usr7:pa55@proxy.example.com', '"ftp://***@proxy.example.com" uses ftp; only http and https proxies are supported, and file:/// directories', 'pa55'],
    ['usr7:pa55@proxy.example.com', '"***@proxy.example.com" uses a scheme that is not http or https; only http and https proxies are supported, and file:/// directories', 'usr7:pa55'],
    ['http://usr7:pa55@proxy.example.com', '"http://***@proxy.example.com" carries credentials over plain http; use https', 'pa55'],
    ['file://usr7:pa55@host/dir', '"file://***@host/dir" is not a file:// proxy go accepts: it must be a path alone, like file:///srv/goproxy (go: invalid file:// proxy URL with non-path elements)', 'pa55'],
    // URLs go and a WHATWG parser both take, the same host for both, whose `@` comes after the host: credentials holding `/`, `?` or `#`.
    ['https://usr7:4/pa55@proxy.example.com', '"https://***@proxy.example.com" has an "@" after its host; a user name or password holding "/", "?" or "#" must be %-escaped', 'usr7:4/pa55'],
    ['https://usr7pa/55==@proxy.example.com', '"https://***@proxy.example.com" has an "@" after its host; a user name or password holding "/", "?" or "#" must be %-escaped', 'usr7pa/55=='],
    ['https://usr7?pa55@proxy.example.com', '"https://***@proxy.example.com" has an "@" after its host; a user name or password holding "/", "?" or "#" must be %-escaped', 'usr7?pa55'],
    ['https://usr7#pa55@proxy.example.com', '"https://***@proxy.example.com" has an "@" after its host; a user name or password holding "/", "?" or "#" must be %-escaped', 'usr7#pa55'],
    // A `,` or `|` in a password ends the entry (GOPROXY's own separators): the first half is hidden whole.
    ['https://usr7:pa,55@proxy.example.com', '"https://***" is not a URL, "direct" or "off" (a "," or "|" in a user name or password ends the entry there: %-escape it)', 'usr7:pa'],
    ['https://usr7:pa|55@proxy.example.com', '"https://***" is not a URL, "direct" or "off" (a "," or "|" in a user name or password ends the entry there: %-escape it)', 'usr7:pa']
  ])('%j is refused as %j, its credentials hidden and carried', (entry, message, secret) => {
    const error = refusal(entry)
    expect(error.message).toBe(message)
    expect(error.message).not.toMatch(/usr7|pa.?55/)
    expect(error).toBeInstanceOf(EntryError)
    expect((error as EntryError).secrets).toContain(secret)
  })

  it('cut by a comma inside its password: its problem kept apart, exactly its first half after the scheme kept secret', () => {
    const error = refusal('https://usr7:pa,55@proxy.example.com') as EntryError
    expect(error.problem).toBe('is not a URL, "direct" or "off"')
    expect(error.secrets).toEqual(['usr7:pa'])
    expect((refusal('https:\\\\usr7:pa|55@proxy.example.com') as EntryError).message).toMatch(/^"https:\\\\\*\*\*" /)
  })

  it('that no parser reads is refused without a parser’s words', () => {
    const error = refusal('http://')
    expect(error.message).toBe('"http://" is not a URL, "direct" or "off"')
    expect(error.cause).toBeInstanceOf(TypeError)
  })
})

describe('a file:// entry', () => {
  it('is a directory go reads as a proxy: kept as given, never probed', () => {
    expect(parseCandidates('file:///srv/goproxy')).toEqual([{ spec: 'file:///srv/goproxy', display: 'file:///srv/goproxy', keyword: true, dir: '/srv/goproxy' }])
    expect(parseCandidates('FILE:///srv/a')).toEqual([{ spec: 'FILE:///srv/a', display: 'FILE:///srv/a', keyword: true, dir: '/srv/a' }])
  })

  it('is refused with a host, without the empty host, or with a query or a fragment, as go refuses it', () => {
    for (const entry of ['file://host/dir', 'file:/srv/dir', 'file://srv/dir', 'file:///srv/x?y', 'file:///srv/x#y', 'file:srv']) {
      expect(refusal(entry).message, entry).toBe(`"${entry}" is not a file:// proxy go accepts: it must be a path alone, like file:///srv/goproxy (go: invalid file:// proxy URL with non-path elements)`)
    }
  })

  it('is refused where its path names no directory, with the reason', () => {
    const error = refusal('file:///a%2Fb')
    expect(error.message).toBe('"file:///a%2Fb" is not a file:// proxy go accepts: File URL path must not include encoded / characters')
    expect(error.cause).toBeInstanceOf(TypeError)
  })
})

describe('leaveOut', () => {
  const [a, b, off, direct, file] = parseCandidates('https://a.example.com,https://b.example.com,off,direct,file:///srv/goproxy') as Candidate[]
  const specs = (chain: Candidate[]) => chain.map(c => c.spec)

  it('leaves entries out as long as a URL, direct or a file:// directory remains', () => {
    expect(specs(leaveOut([a!, b!, off!], [a!]))).toEqual(['https://b.example.com', 'off'])
    expect(specs(leaveOut([a!, direct!], [a!]))).toEqual(['direct'])
    expect(specs(leaveOut([a!, file!, off!], [a!]))).toEqual(['file:///srv/goproxy', 'off'])
  })

  it('keeps the chain as it is when only off would remain', () => {
    expect(specs(leaveOut([a!, off!], [a!]))).toEqual(['https://a.example.com', 'off'])
    expect(specs(leaveOut([a!, b!], [a!, b!]))).toEqual(['https://a.example.com', 'https://b.example.com'])
  })
})
