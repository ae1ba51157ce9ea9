import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, promises as fsPromises, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { moduleStash } from '../src/cache/layout.ts'
import { checksFor, savedPaths } from '../src/module/vouched.ts'
import { claimStaging, stage, unstage } from '../src/cache/staging.ts'
import { parseGoSum } from '../src/module/gosum.ts'
import { buildsFromVendor, type VendorFacts } from '../src/go/vendor.ts'

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

  it('stages only the paths asked for, as links, and a restore moves in what it is given where the module cache has nothing', async () => {
    const modcache = modcacheWith({ 'cache/download/a/@v/v1.zip': 'zip a', 'cache/download/b/@v/v1.zip': 'zip b', 'a@v1/a.go': 'package a' })
    const staging = await claimStaging(moduleStash(modcache).staging)
    expect(await stage(modcache, staging.entry, ['cache/download/a/@v/v1.zip', 'cache/download/a/@v/v1.info', 'a@v1'])).toEqual({ bytes: 'zip a'.length + 'package a'.length, skipped: [] })
    expect(statSync(path.join(staging.entry, 'cache/download/a/@v/v1.zip')).ino).toBe(statSync(path.join(modcache, 'cache/download/a/@v/v1.zip')).ino)
    expect(existsSync(path.join(staging.entry, 'cache/download/b'))).toBe(false)
    await staging.release()
    expect(existsSync(moduleStash(modcache).staging)).toBe(false)

    const target = modcacheWith({ 'cache/download/a/@v/v1.zip': 'kept' })
    const restored = modcacheWith({ 'cache/download/a/@v/v1.zip': 'zip a', 'cache/download/a/@v/v1.mod': 'mod a', 'cache/download/a/@v/v1.info': 'not asked for', 'a@v1/a.go': 'package a' })
    const moved = await unstage(restored, target, ['cache/download/a/@v/v1.zip', 'cache/download/a/@v/v1.mod', 'a@v1'])
    expect(moved).toEqual(['cache/download/a/@v/v1.mod', 'a@v1'])
    expect(readFileSync(path.join(target, 'cache/download/a/@v/v1.zip'), 'utf8')).toBe('kept')
    expect(readFileSync(path.join(target, 'cache/download/a/@v/v1.mod'), 'utf8')).toBe('mod a')
    expect(readFileSync(path.join(target, 'a@v1/a.go'), 'utf8')).toBe('package a')
    expect(existsSync(path.join(target, 'cache/download/a/@v/v1.info'))).toBe(false)
  })

  it('a restore moves nothing outside the module cache when a directory on the way is swapped for a link just before the move', async () => {
    const outside = modcacheWith({ 'dir/.keep': '' })
    const target = modcacheWith({ 'cache/download/a/@v/.keep': '' })
    const restored = modcacheWith({ 'cache/download/a/@v/v1.mod': 'mod a' })
    // Another user of the module cache wins the race: between the check of the way and the move, cache/download/a becomes a link to a directory elsewhere.
    const rename = fsPromises.rename
    const spy = vi.spyOn(fsPromises, 'rename').mockImplementationOnce(async (from, to) => {
      renameSync(path.join(target, 'cache/download/a'), path.join(target, 'cache/download/a-moved'))
      mkdirSync(path.join(outside, 'dir/@v'))
      symlinkSync(path.join(outside, 'dir'), path.join(target, 'cache/download/a'))
      return rename(from, to)
    })
    try {
      expect(await unstage(restored, target, ['cache/download/a/@v/v1.mod'])).toEqual(['cache/download/a/@v/v1.mod'])
    } finally {
      spy.mockRestore()
    }
    expect(readdirSync(path.join(outside, 'dir/@v'))).toEqual([])
    expect(readFileSync(path.join(target, 'cache/download/a-moved/@v/v1.mod'), 'utf8')).toBe('mod a')
  })

  it('stages no file whose contents are not only the cache’s: a hard link, a symbolic link, a FIFO, a file reached through a linked directory, a tree holding a link', async () => {
    const outside = modcacheWith({ secret: 'the secret', 'dir/v1.zip': 'outside zip' })
    const modcache = modcacheWith({ 'cache/download/ok/@v/v1.zip': 'zip', 'tree@v1/a.go': 'package a', 'cache/download/fifo/@v/.keep': '' })
    linkSync(path.join(outside, 'secret'), path.join(modcache, 'cache/download/ok/@v/v1.info'))
    symlinkSync(path.join(outside, 'secret'), path.join(modcache, 'cache/download/ok/@v/v1.mod'))
    execFileSync('mkfifo', [path.join(modcache, 'cache/download/fifo/@v/v1.zip')])
    mkdirSync(path.join(modcache, 'cache/download/linked'))
    symlinkSync(path.join(outside, 'dir'), path.join(modcache, 'cache/download/linked/@v'))
    symlinkSync(path.join(outside, 'secret'), path.join(modcache, 'tree@v1/b.go'))
    const staging = await claimStaging(moduleStash(modcache).staging)
    const paths = ['cache/download/ok/@v/v1.zip', 'cache/download/ok/@v/v1.info', 'cache/download/ok/@v/v1.mod', 'cache/download/fifo/@v/v1.zip', 'cache/download/linked/@v/v1.zip', 'tree@v1']
    const staged = await stage(modcache, staging.entry, paths)

    expect(staged.bytes).toBe('zip'.length)
    expect(Object.fromEntries(staged.skipped.map(s => [s.path, s.why]))).toEqual({
      'cache/download/ok/@v/v1.info': expect.stringMatching(/a hard link \(2 names\)/),
      'cache/download/ok/@v/v1.mod': expect.stringMatching(/a symlink/),
      'cache/download/fifo/@v/v1.zip': expect.stringMatching(/a FIFO/),
      'cache/download/linked/@v/v1.zip': 'cache/download/linked/@v is a symlink',
      'tree@v1': 'tree@v1/b.go is a symlink'
    })
    expect(filesUnder(staging.entry)).toEqual(['cache/download/ok/@v/v1.zip'])
    await staging.release()
    expect(readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('the secret')
  })

  it('is refused while a live process holds it, and taken over from one that is gone, whatever its age', async () => {
    const modcache = modcacheWith({})
    const { staging } = moduleStash(modcache)
    await claimStaging(staging)
    await expect(claimStaging(staging)).rejects.toThrow(new RegExp(`another job on this runner is using .* \\(process ${process.pid}\\)`))
    // Hours old, and still in use: the owner is alive.
    const hoursAgo = new Date(Date.now() - 5 * 60 * 60 * 1000)
    utimesSync(staging, hoursAgo, hoursAgo)
    await expect(claimStaging(staging)).rejects.toThrow(/another job on this runner is using/)

    const owner = path.join(staging, 'owner')
    const recorded = JSON.parse(readFileSync(owner, 'utf8')) as { pid: number; started: string }
    // A process that has exited, and a PID given to another process since: both gone.
    const exited = spawnSync(process.execPath, ['-e', '0']).pid as number
    for (const gone of [{ pid: exited, started: recorded.started }, { pid: process.pid, started: `${recorded.started}0` }]) {
      writeFileSync(path.join(staging, 'owner'), JSON.stringify(gone))
      writeFileSync(path.join(staging, 'entry', 'left-over'), 'from the killed job')
      const taken = await claimStaging(staging)
      expect(path.dirname(taken.entry)).toBe(staging)
      expect(readdirSync(taken.entry)).toEqual([])
      expect(JSON.parse(readFileSync(owner, 'utf8'))).toEqual(recorded)
    }
    // No owner recorded: being claimed when it is new, a leftover of an older version when it is not.
    rmSync(owner)
    await expect(claimStaging(staging)).rejects.toThrow(/another job on this runner is using/)
    utimesSync(staging, hoursAgo, hoursAgo)
    const taken = await claimStaging(staging)
    await taken.release()
    expect(readdirSync(path.dirname(staging)).filter(name => name.startsWith('go-mod-download-staging'))).toEqual([])
  })
})

/** Every file under dir, relative, with `/`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(e => !e.isDirectory())
    .map(e => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort()
}
