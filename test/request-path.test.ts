// A module proxy request path, both ways: as go writes it on the wire (PathEscape of each
// element), and what a path a client sent names, or why it names nothing go could ask. Exact
// answers on the edges; module-rules.test.ts holds the escaping against go's on generated paths.
import { describe, expect, it } from 'vitest'
import { parseRequestPath, wirePath } from '../src/module/request.ts'

describe('wirePath', () => {
  it('keeps letters, digits and -._~$&+:=@ and %-encodes every other byte in upper case, element by element', () => {
    expect(wirePath('example.com/!a/@v/v1.0.0-x~$&+:=@.zip')).toBe('example.com/%21a/@v/v1.0.0-x~$&+:=@.zip')
    expect(wirePath('example.com/m/@v/v1.0.0-é b%;,?#.info')).toBe('example.com/m/@v/v1.0.0-%C3%A9%20b%25%3B%2C%3F%23.info')
    expect(wirePath('a/\u007f\u0080/\u00ff')).toBe('a/%7F%C2%80/%C3%BF')
    // Two hex digits always: a byte below 0x10 too.
    expect(wirePath('a\tb/\u0000')).toBe('a%09b/%00')
  })
})

describe('parseRequestPath', () => {
  it('names a file, a list or a latest, rebuilt from the checked module and version', () => {
    expect(parseRequestPath('example.com/%21m/@v/v1.0.0.zip')).toEqual({ kind: 'zip', module: 'example.com/M', version: 'v1.0.0', path: 'example.com/!m/@v/v1.0.0.zip' })
    expect(parseRequestPath('example.com/m/@v/master.info')).toEqual({ kind: 'info', module: 'example.com/m', version: 'master', path: 'example.com/m/@v/master.info' })
    expect(parseRequestPath('example.com/m/@v/list')).toEqual({ kind: 'list', module: 'example.com/m', path: 'example.com/m/@v/list' })
    expect(parseRequestPath('example.com/m/@latest')).toEqual({ kind: 'latest', module: 'example.com/m', path: 'example.com/m/@latest' })
  })

  it('refuses malformed percent-encoding, and an element that decodes to a /', () => {
    expect(parseRequestPath('example.com/m/@v/v1.0.0%zz.zip')).toEqual({ problem: 'malformed percent-encoding' })
    expect(parseRequestPath('example.com%2Fm/@v/list')).toEqual({ problem: 'an encoded / in the path' })
    expect(parseRequestPath('example.com/m/@v/v1.0.0%2F.info')).toEqual({ problem: 'an encoded / in the path' })
  })

  it('refuses what is no request of the protocol, a line break included (go’s paths hold none)', () => {
    for (const path of [
      'example.com/m/@v/v1.0.0.tar',
      'example.com/m/@v/',
      'example.com/m',
      '@latest',
      'example.com/m/@latest/x',
      'x%0Aexample.com/m/@latest',
      'example.com/m/@latest%0Ax',
      'x%0Aexample.com/m/@v/list',
      'example.com/m/@v/list%0A',
      'x%0Aexample.com/m/@v/v1.0.0.zip',
      'example.com/m/@v/v1.0.0.zip%0A'
    ]) {
      expect(parseRequestPath(path), path).toEqual({ problem: 'not a module proxy request' })
    }
  })

  it('refuses a module path or a version go’s escaping could not have written', () => {
    expect(parseRequestPath('example.com/M/@v/list')).toEqual({ problem: 'not a module path go could ask for' })
    expect(parseRequestPath('example.com/m/@v/v1.0.0-RC.zip')).toEqual({ problem: 'not a version go could ask for' })
  })

  it('refuses a .mod or a .zip of a version that is not canonical; an .info may name a branch', () => {
    expect(parseRequestPath('example.com/m/@v/v1.0.zip')).toEqual({ problem: 'not a canonical version, as go asks a .zip for' })
    expect(parseRequestPath('example.com/m/@v/master.mod')).toEqual({ problem: 'not a canonical version, as go asks a .mod for' })
    expect(parseRequestPath('example.com/m/@v/v1.0.info')).toEqual({ kind: 'info', module: 'example.com/m', version: 'v1.0', path: 'example.com/m/@v/v1.0.info' })
  })
})
