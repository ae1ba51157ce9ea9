// A URL's credentials as go's url.Parse reads them, the host its requests go to, and every form
// in which its userinfo could be printed (each one masked). Pure: module-rules.test.ts holds the
// reading against go's own on generated URLs; these are the edges, with exact answers.
import { describe, expect, it } from 'vitest'
import { hidesGoUserinfo, hostOf, redactEntry, redactUrl, refusedSecrets, secretsIn, userinfoOf } from '../src/util/credentials.ts'

describe('userinfoOf', () => {
  it('reads no credentials where there is no scheme://authority at the start', () => {
    for (const url of ['direct', 'off', '', 'host.example.com/go', 'see https://u:p@host.example.com/']) expect(userinfoOf(url), url).toBeUndefined()
  })

  it('reads an empty userinfo before an @ as an empty user, as go does', () => {
    expect(userinfoOf('https://@host.example.com/')).toEqual({ username: '', password: '', written: '' })
  })

  it('stops the authority at the first /, ? or #', () => {
    expect(userinfoOf('https://u@host.example.com:8443/p@x?q@y#f@z')).toEqual({ username: 'u', password: '', written: 'u' })
    expect(userinfoOf('https://host.example.com?q@y')).toBeUndefined()
    expect(userinfoOf('https://host.example.com#f@z')).toBeUndefined()
  })

  it('refuses a % not followed by two hex digits, and escapes that do not decode to text, each with its reason', () => {
    for (const url of ['https://a%4@host.example.com/', 'https://a%4x@host.example.com/', 'https://a%@host.example.com/', 'https://u:p%g0@host.example.com/']) {
      expect(() => userinfoOf(url), url).toThrow('its user name or password holds an invalid %-escape')
    }
    expect(() => userinfoOf('https://%ff@host.example.com/')).toThrow('its user name or password is not UTF-8 text')
    expect(userinfoOf('https://%C3%a9:%41@host.example.com/')).toEqual({ username: 'é', password: 'A', written: '%C3%a9:%41' })
  })
})

describe('hostOf', () => {
  it('is the authority after its last @, port included', () => {
    expect(hostOf('https://u:p@q@host.example.com:8443/go?x#y')).toBe('host.example.com:8443')
    expect(hostOf('https://host.example.com/a@b')).toBe('host.example.com')
    expect(hostOf('https://@h')).toBe('h')
  })

  it('is unknown without scheme://', () => {
    for (const url of ['direct', 'host.example.com', 'x https://host.example.com']) expect(hostOf(url), url).toBeUndefined()
  })
})

describe('secretsIn: every form a userinfo could be printed in', () => {
  it('the whole, each half as written and decoded, each decoded half escaped as a WHATWG URL and as go print it', () => {
    expect(secretsIn('https://a%24%40:p%24%c3%80@host.example.com/')).toEqual([
      'a%24%40:p%24%c3%80',
      'a%24%40',
      'p%24%c3%80',
      'a$@',
      // go's url.Userinfo escapes @ / ? : and what is not ASCII, in upper case, and leaves $ as it is.
      'a$%40',
      'p$À',
      'p%24%C3%80',
      'p$%C3%80'
    ])
  })

  it('each half as go prints it, which escapes more than a WHATWG URL does: !\'()* and control characters too', () => {
    const secrets = secretsIn("https://to!ken:it's(1)*%01%7F@host.example.com/")
    expect(secrets).toContain('to%21ken')
    expect(secrets).toContain('it%27s%281%29%2A%01%7F')
    // What go leaves as it is: $&+,;= among them, unlike a WHATWG URL.
    expect(secretsIn('https://a$&+,;=~:p@host.example.com/')).toContain('a$&+,;=~')
  })

  it('the halves as written even when no WHATWG parser reads the URL', () => {
    expect(secretsIn('https://u%41:p%42@bad host/')).toEqual(['u%41:p%42', 'u%41', 'p%42', 'uA', 'pB'])
    expect(secretsIn('https://:tok%41@bad host/')).toEqual([':tok%41', 'tok%41', 'tokA'])
  })

  it('what stands before the last @ of a URL go refuses, and as a WHATWG parser prints it', () => {
    expect(secretsIn('https://a[b:c@host.example.com/')).toEqual(['a[b:c', 'a[b', 'c', 'a%5Bb%3Ac', 'a%5Bb'])
    expect(secretsIn('https://t%zz@host.example.com/')).toEqual(['t%zz', 't%25zz'])
  })

  it('all that go reads as userinfo, a backslash in it or not (a WHATWG parser ends the authority there)', () => {
    expect(secretsIn('https://user:pa\\ss@host.example')).toEqual(['user:pa\\ss', 'user', 'pa\\ss', 'user%3Apa%5Css'])
    expect(secretsIn('https://a\\b@host.example.com/')).toEqual(['a\\b', 'a%5Cb'])
  })

  it('nothing when no userinfo can be told', () => {
    for (const url of ['direct', 'https://host.example.com/', 'https://@host.example.com/']) expect(secretsIn(url), url).toEqual([])
  })
})

describe('redactUrl', () => {
  it('replaces all that go reads as userinfo, a backslash or a space in it, and keeps the rest', () => {
    expect(redactUrl('https://user:pa\\ss@host.example')).toBe('https://***@host.example')
    expect(redactUrl('https://u s:p@q@host.example.com:8443/p@x?q@y#f@z')).toBe('https://***@host.example.com:8443/p@x?q@y#f@z')
    expect(redactUrl('https://host.example.com/a@b')).toBe('https://host.example.com/a@b')
  })
})

describe('redactEntry: a refused entry as its message quotes it', () => {
  it.each([
    ['https://user:pa\\ss@host.example', 'https://***@host.example'],
    ['https://us er:p w@host.example/go', 'https://***@host.example/go'],
    ['https://u\u0001:p\u007f@host.example', 'https://***@host.example'],
    // A password holding an unescaped /, ? or # ends go's authority early; it is hidden all the same.
    ['https://user:ab/cd+e==@proxy.example.com/go', 'https://***@proxy.example.com/go'],
    ['https://user:p?s#s@proxy.example.com', 'https://***@proxy.example.com'],
    // A WHATWG parser reads userinfo here too; no scheme may be one forgotten.
    ['https:user:pw@proxy.example.com', '***@proxy.example.com'],
    ['https:\\\\user:pw@proxy.example.com', 'https:\\\\***@proxy.example.com'],
    ['user:token@proxy.example.com', '***@proxy.example.com'],
    ['\u0001https://u:p@h', '***@h'],
    ['https://@h', 'https://***@h']
  ])('%j is quoted as %j', (entry, quoted) => {
    expect(redactEntry(entry)).toBe(quoted)
  })

  it('leaves an entry without @ as it is', () => {
    for (const entry of ['https://proxy.example.com/go', 'https:proxy.example.com', 'file:///srv/goproxy', '--proxies=x']) expect(redactEntry(entry), entry).toBe(entry)
  })

  it('hides go’s userinfo exactly, or more: the host and scheme can be named only then', () => {
    for (const entry of ['https://u:p@h/x', 'https://h/x', 'ftp://u:p\\q@h']) expect(hidesGoUserinfo(entry), entry).toBe(true)
    for (const entry of ['https://u:0443/x@h', 'https:u:p@h', 'u:p@h', 'https://h/a@b']) expect(hidesGoUserinfo(entry), entry).toBe(false)
  })

  it('its secrets: secretsIn’s, and the whole of what it hides', () => {
    expect(refusedSecrets('https://user:ab/cd@proxy.example.com')).toEqual(['user:ab/cd'])
    expect(refusedSecrets('https://user:pa\\ss@host.example')).toEqual(['user:pa\\ss', 'user', 'pa\\ss', 'user%3Apa%5Css'])
    expect(refusedSecrets('https://proxy.example.com/go')).toEqual([])
  })
})
