// The checksum database's paths the job proxy relays: the ones go's client asks (supported,
// latest, a lookup of a module version, a tile in its one spelling), and nothing else. What
// golang.org/x/mod/sumdb's server would refuse is refused before a candidate is asked. The tiles
// are checked against tlog.ParseTilePath (the Go oracle); module-rules.test.ts does the same on
// generated paths.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseSumdbPath } from '../src/module/sumdb-request.ts'
import { type GoOracle, startGoOracle } from './support/go-oracle.ts'

const NOT_A_REQUEST = { problem: 'not a checksum database request' }
const NOT_A_MODULE_VERSION = { problem: 'not a module version go could look up' }

describe('the tree head and the supported probe', () => {
  it('are asked by name alone', () => {
    expect(parseSumdbPath('supported')).toEqual({ kind: 'supported', path: 'supported' })
    expect(parseSumdbPath('latest')).toEqual({ kind: 'latest', path: 'latest' })
    for (const path of ['supported/', 'latest/x', 'Latest', 'x/latest', '', '/']) expect(parseSumdbPath(path), path).toEqual(NOT_A_REQUEST)
  })
})

describe('a lookup', () => {
  it('names an escaped module path and a semantic version, as go’s client writes them', () => {
    for (const path of [
      'lookup/golang.org/x/text@v0.3.0',
      'lookup/github.com/!burnt!sushi/toml@v1.2.1',
      'lookup/example.com/m@v10.20.30',
      'lookup/example.com/m@v1.0.0-rc.1',
      'lookup/example.com/m@v0.0.0-20240101000000-abcdef012345',
      'lookup/example.com/m@v2.0.0+incompatible',
      'lookup/example.com/m@v2.0.0-pre+incompatible'
    ]) {
      expect(parseSumdbPath(path), path).toEqual({ kind: 'lookup', path })
    }
  })

  it('is decoded once: go’s %21 for ! is read, the path given back is the decoded one', () => {
    expect(parseSumdbPath('lookup/github.com/%21burnt%21sushi/toml@v1.2.1')).toEqual({ kind: 'lookup', path: 'lookup/github.com/!burnt!sushi/toml@v1.2.1' })
    expect(parseSumdbPath('lookup/example.com/m@v1.0.0%2Bincompatible')).toEqual({ kind: 'lookup', path: 'lookup/example.com/m@v1.0.0+incompatible' })
  })

  it('refuses an encoded / and malformed percent-encoding', () => {
    expect(parseSumdbPath('lookup/example.com%2Fm@v1.0.0')).toEqual({ problem: 'an encoded / in the path' })
    expect(parseSumdbPath('lookup/example.com%2fm@v1.0.0')).toEqual({ problem: 'an encoded / in the path' })
    expect(parseSumdbPath('tile/8/0%2F000')).toEqual({ problem: 'an encoded / in the path' })
    expect(parseSumdbPath('lookup/example.com/m%zz@v1.0.0')).toEqual({ problem: 'malformed percent-encoding' })
    expect(parseSumdbPath('lookup/example.com/m@v1.0.0%')).toEqual({ problem: 'malformed percent-encoding' })
  })

  it('refuses what the server’s syntax for module@version refuses', () => {
    for (const path of [
      'lookup/example.com/m@1.0.0',
      'lookup/example.com/m@v1.0',
      'lookup/example.com/m@v1',
      'lookup/example.com/m@va.0.0',
      'lookup/example.com/m@v1.a.0',
      'lookup/example.com/m@v1.0.a',
      'lookup/example.com/m@v1.0.0x',
      'lookup/example.com/m@v1.0.0+meta',
      'lookup/example.com/m@v1.0.0+incompatible+incompatible',
      'lookup/example.com/m@v1.0.0-rc@v2.0.0',
      'lookup/example.com/m',
      'lookup/@v1.0.0',
      'lookup/example.com/m@v1.0.0/x',
      'x/lookup/example.com/m@v1.0.0',
      'lookup/lookup/example.com/m@v1.0.0 '
    ]) {
      expect(parseSumdbPath(path), path).toEqual(NOT_A_REQUEST)
    }
  })

  it('refuses a module path or a version go’s escaping could not have written', () => {
    // Upper case is written !x; a module path with one, or a version with one, was not escaped by go.
    expect(parseSumdbPath('lookup/example.com/M@v1.0.0')).toEqual(NOT_A_MODULE_VERSION)
    expect(parseSumdbPath('lookup/example.com/m@v1.0.0-RC')).toEqual(NOT_A_MODULE_VERSION)
    expect(parseSumdbPath('lookup/example.com/m@v1.0.0-!rc')).toEqual({ kind: 'lookup', path: 'lookup/example.com/m@v1.0.0-!rc' })
    expect(parseSumdbPath('lookup/example.com/!!m@v1.0.0')).toEqual(NOT_A_MODULE_VERSION)
  })
})

/** Tiles go's client asks, and tiles golang.org/x/mod/sumdb's server refuses (each checked against tlog.ParseTilePath below). */
const TILES_ASKED = [
  'tile/8/0/000',
  'tile/8/0/999',
  'tile/8/1/123',
  'tile/8/10/x001/234',
  'tile/8/data/x001/x234/567',
  'tile/8/0/x001/000',
  'tile/8/0/000.p/5',
  'tile/8/0/x123/456.p/10',
  'tile/8/0/000.p/255',
  'tile/1/0/000',
  'tile/1/0/000.p/1',
  'tile/30/0/000',
  'tile/30/data/x999/999.p/1073741823',
  'tile/12/3/x001/x000/000'
]
const TILES_REFUSED = [
  'tile/0/0/000',
  'tile/31/0/000',
  'tile/99/0/000',
  'tile/08/0/000',
  'tile/8/00/000',
  'tile/8/01/000',
  'tile/8/-1/000',
  'tile/8/0/x000/123',
  'tile/8/0/x000/x001/123',
  'tile/8/0/00',
  'tile/8/0/0000',
  'tile/8/0/x00/000',
  'tile/8/0/001/002',
  'tile/8/0/x001',
  'tile/8/0/000.p/0',
  'tile/8/0/000.p/01',
  'tile/8/0/000.p/256',
  'tile/1/0/000.p/2',
  'tile/30/0/000.p/1073741824',
  'tile/8/0/000.p/',
  'tile/8/0/000.p',
  'tile/8/0/000/',
  'tile/8/0/000x',
  'tile/8/0',
  'x/tile/8/0/000',
  'tile/8/data/000.p/5/x',
  'tiles/8/0/000'
]

describe('a tile', () => {
  it('is taken in its one canonical spelling: height 1 to 30, a level or data, groups of three digits, a width below 2^height', () => {
    for (const path of TILES_ASKED) expect(parseSumdbPath(path), path).toEqual({ kind: 'tile', path })
  })

  it('is refused in any other spelling, or beyond what its height holds', () => {
    for (const path of TILES_REFUSED) expect(parseSumdbPath(path), path).toEqual(NOT_A_REQUEST)
  })

  describe('as tlog.ParseTilePath reads it', () => {
    let go: GoOracle
    beforeAll(async () => {
      go = await startGoOracle()
    })
    afterAll(() => go.close())

    it('takes the tiles above and refuses the others', async () => {
      const asked = await go.ask('tilePath', TILES_ASKED)
      const refused = await go.ask('tilePath', TILES_REFUSED)
      expect(TILES_ASKED.filter((_, i) => !asked[i]!.ok)).toEqual([])
      expect(TILES_REFUSED.filter((_, i) => refused[i]!.ok)).toEqual([])
    })
  })
})
