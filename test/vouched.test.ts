// What go.sum vouches for: by request path (the files the fetch checks and the job proxy serves
// as verified), and in go's module cache (what the cache checks and saves). A module line
// vouches for its zip, its extracted tree and its .info's version; a /go.mod line for the .mod; a
// private module's lines for nothing the action fetches. Pure: no go, no network.
import { describe, expect, it } from 'vitest'
import { parseGoSum } from '../src/module/gosum.ts'
import { MAX_BYTES } from '../src/module/limits.ts'
import { type ProxyRequest, parseRequestPath } from '../src/module/request.ts'
import { checksFor, downloadBase, jobFor, knownFiles, savedPaths, treePath } from '../src/module/vouched.ts'

const lines = parseGoSum(
  [
    'example.com/Big v1.2.0 h1:zip=',
    'example.com/Big v1.2.0/go.mod h1:mod=',
    'example.com/graph-only v0.1.0/go.mod h1:graph=',
    'corp.example/secret v1.0.0 h1:private=',
    'corp.example/secret v1.0.0/go.mod h1:privatemod='
  ].join('\n')
)
const isPrivate = (module: string) => module.startsWith('corp.example/')
const request = (path: string) => parseRequestPath(path) as ProxyRequest

describe('knownFiles', () => {
  it('a module line vouches for its zip (by hash) and its .info (by version); a /go.mod line for its .mod', () => {
    const known = knownFiles(lines, isPrivate)
    expect([...known.entries()]).toStrictEqual([
      ['example.com/!big/@v/v1.2.0.zip', { module: 'example.com/Big', version: 'v1.2.0', kind: 'zip', path: 'example.com/!big/@v/v1.2.0.zip', maxBytes: MAX_BYTES.zip, hash: 'h1:zip=' }],
      ['example.com/!big/@v/v1.2.0.info', { module: 'example.com/Big', version: 'v1.2.0', kind: 'info', path: 'example.com/!big/@v/v1.2.0.info', maxBytes: MAX_BYTES.info }],
      ['example.com/!big/@v/v1.2.0.mod', { module: 'example.com/Big', version: 'v1.2.0', kind: 'mod', path: 'example.com/!big/@v/v1.2.0.mod', maxBytes: MAX_BYTES.mod, hash: 'h1:mod=' }],
      ['example.com/graph-only/@v/v0.1.0.mod', { module: 'example.com/graph-only', version: 'v0.1.0', kind: 'mod', path: 'example.com/graph-only/@v/v0.1.0.mod', maxBytes: MAX_BYTES.mod, hash: 'h1:graph=' }]
    ])
  })

  it('a private module’s lines vouch for nothing the action fetches: go fetches it itself', () => {
    expect([...knownFiles(lines, isPrivate).keys()].filter(p => p.startsWith('corp.example'))).toEqual([])
    expect([...knownFiles(lines, () => false).keys()].filter(p => p.startsWith('corp.example'))).toEqual([
      'corp.example/secret/@v/v1.0.0.zip',
      'corp.example/secret/@v/v1.0.0.info',
      'corp.example/secret/@v/v1.0.0.mod'
    ])
    expect(knownFiles(lines, () => true).size).toBe(0)
  })
})

describe('jobFor', () => {
  const known = knownFiles(lines, isPrivate)

  it('a file go.sum names is the one known: checked against its hash', () => {
    expect(jobFor(known, request('example.com/!big/@v/v1.2.0.zip'))).toBe(known.get('example.com/!big/@v/v1.2.0.zip'))
    expect(jobFor(known, request('example.com/%21big/@v/v1.2.0.mod'))).toBe(known.get('example.com/!big/@v/v1.2.0.mod'))
  })

  it('an .info go.sum does not name is still checked by the version it names, and kept', () => {
    expect(jobFor(known, request('example.com/other/@v/v3.0.0.info'))).toStrictEqual({ module: 'example.com/other', version: 'v3.0.0', kind: 'info', path: 'example.com/other/@v/v3.0.0.info', maxBytes: MAX_BYTES.info })
    expect(jobFor(known, request('example.com/other/@v/master.info'))).toStrictEqual({ module: 'example.com/other', version: 'master', kind: 'info', path: 'example.com/other/@v/master.info', maxBytes: MAX_BYTES.info })
  })

  it('anything else is passed through for go to check, under its kind’s limit, and not kept', () => {
    expect(jobFor(known, request('example.com/other/@v/v3.0.0.zip'))).toStrictEqual({ module: 'example.com/other', version: 'v3.0.0', kind: 'other', path: 'example.com/other/@v/v3.0.0.zip', maxBytes: MAX_BYTES.zip, transient: true })
    expect(jobFor(known, request('corp.example/secret/@v/v1.0.0.mod'))).toStrictEqual({ module: 'corp.example/secret', version: 'v1.0.0', kind: 'other', path: 'corp.example/secret/@v/v1.0.0.mod', maxBytes: MAX_BYTES.mod, transient: true })
    expect(jobFor(known, request('example.com/!big/@v/list'))).toStrictEqual({ module: 'example.com/Big', version: '', kind: 'other', path: 'example.com/!big/@v/list', maxBytes: MAX_BYTES.list, transient: true })
    expect(jobFor(known, request('example.com/!big/@latest'))).toStrictEqual({ module: 'example.com/Big', version: '', kind: 'other', path: 'example.com/!big/@latest', maxBytes: MAX_BYTES.latest, transient: true })
  })
})

describe('go’s module cache', () => {
  it('a version’s download files and its extracted tree are at go’s escaped paths', () => {
    expect(downloadBase('example.com/Big', 'v1.2.0-RC')).toBe('cache/download/example.com/!big/@v/v1.2.0-!r!c')
    expect(treePath('example.com/Big', 'v1.2.0-RC')).toBe('example.com/!big@v1.2.0-!r!c')
  })

  it('checksFor: each zip, extracted tree and go.mod go.sum names, once, with its hash', () => {
    expect(checksFor([...lines, ...lines])).toStrictEqual([
      { module: 'example.com/Big', version: 'v1.2.0', what: 'zip', path: 'cache/download/example.com/!big/@v/v1.2.0.zip', hash: 'h1:zip=' },
      { module: 'example.com/Big', version: 'v1.2.0', what: 'tree', path: 'example.com/!big@v1.2.0', hash: 'h1:zip=' },
      { module: 'example.com/Big', version: 'v1.2.0', what: 'mod', path: 'cache/download/example.com/!big/@v/v1.2.0.mod', hash: 'h1:mod=' },
      { module: 'example.com/graph-only', version: 'v0.1.0', what: 'mod', path: 'cache/download/example.com/graph-only/@v/v0.1.0.mod', hash: 'h1:graph=' },
      { module: 'corp.example/secret', version: 'v1.0.0', what: 'zip', path: 'cache/download/corp.example/secret/@v/v1.0.0.zip', hash: 'h1:private=' },
      { module: 'corp.example/secret', version: 'v1.0.0', what: 'tree', path: 'corp.example/secret@v1.0.0', hash: 'h1:private=' },
      { module: 'corp.example/secret', version: 'v1.0.0', what: 'mod', path: 'cache/download/corp.example/secret/@v/v1.0.0.mod', hash: 'h1:privatemod=' }
    ])
    expect(checksFor([])).toEqual([])
  })

  it('savedPaths: the download files of what go.sum names, sorted, once each; the trees only for everything', () => {
    const graphOnly = lines.filter(l => l.module === 'example.com/graph-only')
    expect(savedPaths(graphOnly, 'everything')).toEqual(['cache/download/example.com/graph-only/@v/v0.1.0.info', 'cache/download/example.com/graph-only/@v/v0.1.0.mod'])
    const big = lines.filter(l => l.module === 'example.com/Big')
    const downloads = ['cache/download/example.com/!big/@v/v1.2.0.info', 'cache/download/example.com/!big/@v/v1.2.0.mod', 'cache/download/example.com/!big/@v/v1.2.0.zip', 'cache/download/example.com/!big/@v/v1.2.0.ziphash']
    expect(savedPaths(big, 'downloads')).toEqual(downloads)
    expect(savedPaths([...big].reverse(), 'downloads')).toEqual(downloads)
    expect(savedPaths(big, 'everything')).toEqual([...downloads, 'example.com/!big@v1.2.0'])
    expect(savedPaths(lines, 'everything')).toEqual([
      'cache/download/corp.example/secret/@v/v1.0.0.info',
      'cache/download/corp.example/secret/@v/v1.0.0.mod',
      'cache/download/corp.example/secret/@v/v1.0.0.zip',
      'cache/download/corp.example/secret/@v/v1.0.0.ziphash',
      ...downloads,
      'cache/download/example.com/graph-only/@v/v0.1.0.info',
      'cache/download/example.com/graph-only/@v/v0.1.0.mod',
      'corp.example/secret@v1.0.0',
      'example.com/!big@v1.2.0'
    ])
    expect(savedPaths([], 'everything')).toEqual([])
  })
})
