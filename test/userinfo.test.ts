// A URL's credentials as go's url.Parse reads them, the host its requests go to, and every form
// in which its userinfo could be printed (each one masked). Pure: module-rules.test.ts holds the
// reading against go's own on generated URLs; these are the edges, with exact answers.
import { describe, expect, it } from 'vitest'
import { hostOf, secretsIn, userinfoOf } from '../src/util/credentials.ts'

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

  it('nothing when no userinfo can be told', () => {
    for (const url of ['direct', 'https://host.example.com/', 'https://a\\b@host.example.com/', 'https://@host.example.com/']) expect(secretsIn(url), url).toEqual([])
  })
})
