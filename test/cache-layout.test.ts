import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { moduleStash } from '../src/cache/layout.ts'
import { checksFor, savedPaths } from '../src/module/vouched.ts'
import { claimStaging, stage, unstage } from '../src/cache/staging.ts'
import { parseGoSum } from '../src/module/gosum.ts'
import { buildsFromVendor, type VendorFacts } from '../src/vendor.ts'

const lines = parseGoSum(
  [
    'example.com/Big v1.2.0 h1:zip=',
    'example.com/Big v1.2.0/go.mod h1:mod=',
    'example.com/graph-only v0.1.0/go.mod h1:graph=',
    'example.com/Big v1.2.0 h1:zip=' // go.sum never repeats a line, but a glob of several go.sum files may
  ].join('\n')
)

describe('checksFor', () => {
  it('hashes each zip, extracted tree and go.mod go.sum names, once, at go’s escaped paths', () => {
    expect(checksFor(lines).map(c => [c.what, c.path, c.hash])).toEqual([
      ['zip', 'cache/download/example.com/!big/@v/v1.2.0.zip', 'h1:zip='],
      ['tree', 'example.com/!big@v1.2.0', 'h1:zip='],
      ['mod', 'cache/download/example.com/!big/@v/v1.2.0.mod', 'h1:mod='],
      ['mod', 'cache/download/example.com/graph-only/@v/v0.1.0.mod', 'h1:graph=']
    ])
  })
})

describe('savedPaths', () => {
  it('downloads: the download-cache files of what go.sum names, nothing of other versions', () => {
    expect(savedPaths(lines, 'downloads')).toEqual([
      'cache/download/example.com/!big/@v/v1.2.0.info',
      'cache/download/example.com/!big/@v/v1.2.0.mod',
      'cache/download/example.com/!big/@v/v1.2.0.zip',
      'cache/download/example.com/!big/@v/v1.2.0.ziphash',
      'cache/download/example.com/graph-only/@v/v0.1.0.info',
      'cache/download/example.com/graph-only/@v/v0.1.0.mod'
    ])
  })

  it('everything: the extracted trees of the zips too', () => {
    expect(savedPaths(lines, 'everything')).toContain('example.com/!big@v1.2.0')
    expect(savedPaths(lines, 'everything').filter(p => !p.startsWith('cache/'))).toEqual(['example.com/!big@v1.2.0'])
  })
})

describe('buildsFromVendor', () => {
  const base: VendorFacts = { hasModulesTxt: true, goLine: '1.21', goflags: '-modcacherw', workspace: false }
  it.each<[string, Partial<VendorFacts>, boolean]>([
    ['vendor/modules.txt and go 1.14 or later', {}, true],
    ['no vendor/modules.txt', { hasModulesTxt: false }, false],
    ['a go line before 1.14 (go then defaults to the module cache)', { goLine: '1.13' }, false],
    ['-mod=vendor even for an old go line', { goLine: '1.13', goflags: '-mod=vendor' }, true],
    ['-mod=mod', { goflags: '-modcacherw -mod=mod' }, false],
    ['-mod=readonly', { goflags: '-mod=readonly' }, false],
    ['the last -mod wins, as in go', { goflags: '-mod=mod --mod=vendor' }, true],
    ['a go.work in effect', { workspace: true }, false]
  ])('%s', (_, change, expected) => {
    expect(buildsFromVendor({ ...base, ...change })).toBe(expected)
  })
})

describe('the staging folder', () => {
  const modcacheWith = (files: Record<string, string>) => {
    const modcache = mkdtempSync(path.join(os.tmpdir(), 'staging-'))
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(modcache, rel)), { recursive: true })
      writeFileSync(path.join(modcache, rel), text)
    }
    return modcache
  }

  it('stages only the paths asked for, as links, and a restore moves in what the module cache lacks, keeping what it has', async () => {
    const modcache = modcacheWith({ 'cache/download/a/@v/v1.zip': 'zip a', 'cache/download/b/@v/v1.zip': 'zip b', 'a@v1/a.go': 'package a' })
    const staging = await claimStaging(moduleStash(modcache).staging)
    expect(await stage(modcache, staging.dir, ['cache/download/a/@v/v1.zip', 'cache/download/a/@v/v1.info', 'a@v1'])).toBe('zip a'.length + 'package a'.length)
    expect(existsSync(path.join(staging.dir, 'cache/download/b'))).toBe(false)
    await staging.release()
    expect(existsSync(moduleStash(modcache).staging)).toBe(false)

    const target = modcacheWith({ 'cache/download/a/@v/v1.zip': 'kept' })
    const restored = modcacheWith({ 'cache/download/a/@v/v1.zip': 'zip a', 'cache/download/a/@v/v1.mod': 'mod a', 'a@v1/a.go': 'package a' })
    await unstage(restored, target)
    expect(readFileSync(path.join(target, 'cache/download/a/@v/v1.zip'), 'utf8')).toBe('kept')
    expect(readFileSync(path.join(target, 'cache/download/a/@v/v1.mod'), 'utf8')).toBe('mod a')
    expect(readFileSync(path.join(target, 'a@v1/a.go'), 'utf8')).toBe('package a')
  })

  it('is refused while another job holds it, and taken over when it is a leftover', async () => {
    const modcache = modcacheWith({})
    const { staging } = moduleStash(modcache)
    const held = await claimStaging(staging)
    await expect(claimStaging(staging)).rejects.toThrow(/another job on this runner is using/)
    const hourAgo = new Date(Date.now() - 61 * 60 * 1000)
    utimesSync(held.dir, hourAgo, hourAgo)
    const taken = await claimStaging(staging)
    expect(taken.dir).toBe(held.dir)
    await taken.release()
  })
})
