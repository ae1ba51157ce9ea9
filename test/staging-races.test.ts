// The save's links and the restore's moves, raced: another user of a shared module cache who
// renames a directory, or puts a link or a FIFO somewhere, between the checks and the use must
// not decide what is saved or moved in, nor hold the step. Each race is won by the attacker every
// time: the call the defence depends on is intercepted to make the swap just before it runs.
// Loopback only, no network.
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, promises as fsPromises, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { stage, unstage } from '../src/cache/staging.ts'
import { answersBeside, canMount, hungMount } from './support/hung-mount.ts'

const made: string[] = []
const temp = (prefix: string, base = os.tmpdir()) => {
  const dir = mkdtempSync(path.join(base, prefix))
  made.push(dir)
  return dir
}
const withFiles = (dir: string, files: Record<string, string>) => {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), text)
  }
  return dir
}
afterEach(() => {
  vi.restoreAllMocks()
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('stage(): what is linked into the entry is the file that was checked', () => {
  it('a directory on the way swapped for a link after the checks: nothing from outside is saved', async () => {
    const outside = withFiles(temp('outside-'), { 'dir/@v/v1.info': 'the secret' })
    const root = withFiles(temp('modcache-'), { 'cache/download/a/@v/v1.info': '{"Version":"v1"}' })
    const entry = temp('entry-')
    const link = fsPromises.link
    vi.spyOn(fsPromises, 'link').mockImplementationOnce(async (from, to) => {
      // Another user wins the race: after within()/firstProblem(), before the link.
      renameSync(path.join(root, 'cache/download/a'), path.join(root, 'cache/download/a-moved'))
      symlinkSync(path.join(outside, 'dir'), path.join(root, 'cache/download/a'))
      return link(from, to)
    })
    await stage(root, entry, ['cache/download/a/@v/v1.info'])
    const saved = path.join(entry, 'cache/download/a/@v/v1.info')
    // Either the checked file or nothing: never the file outside.
    if (existsSync(saved)) expect(readFileSync(saved, 'utf8')).toBe('{"Version":"v1"}')
  })

  it('the file itself replaced by another after the checks: it is not saved, and the path is named as changed', async () => {
    const root = withFiles(temp('modcache-'), { 'cache/download/a/@v/v1.info': '{"Version":"v1"}' })
    const entry = temp('entry-')
    const link = fsPromises.link
    vi.spyOn(fsPromises, 'link').mockImplementationOnce(async (from, to) => {
      rmSync(path.join(root, 'cache/download/a/@v/v1.info'))
      writeFileSync(path.join(root, 'cache/download/a/@v/v1.info'), '{"Version":"v1","Planted":"x"}')
      return link(from, to)
    })
    const staged = await stage(root, entry, ['cache/download/a/@v/v1.info'])
    expect(staged.skipped).toEqual([{ path: 'cache/download/a/@v/v1.info', why: 'cache/download/a/@v/v1.info changed after it was checked' }])
    expect(existsSync(path.join(entry, 'cache/download/a/@v/v1.info'))).toBe(false)
  })

  // The fallback copy follows every link and opens a FIFO for reading: when the swapped-in link
  // leads to another file system (link fails EXDEV), the save waits for a writer for good.
  it.skipIf(process.platform !== 'linux' || !existsSync('/dev/shm'))('a link to a FIFO on another file system: the save never waits on it', () => {
    const other = withFiles(temp('other-fs-', '/dev/shm'), { 'dir/@v/.keep': '' })
    execFileSync('mkfifo', [path.join(other, 'dir/@v/v1.info')])
    const root = withFiles(temp('modcache-'), { 'cache/download/a/@v/v1.info': '{"Version":"v1"}' })
    const entry = temp('entry-')
    const code = `
      import { promises as fs, renameSync, symlinkSync } from 'node:fs'
      import { stage } from ${JSON.stringify(path.join(import.meta.dirname, '../src/cache/staging.ts'))}
      const [root, entry, other] = ${JSON.stringify([root, entry, other])}
      const link = fs.link
      let once = false
      fs.link = async (from, to) => {
        if (!once) {
          once = true
          renameSync(root + '/cache/download/a', root + '/cache/download/a-moved')
          symlinkSync(other + '/dir', root + '/cache/download/a')
        }
        return link(from, to)
      }
      const staged = await stage(root, entry, ['cache/download/a/@v/v1.info']).catch(e => e.message)
      console.log('answered', JSON.stringify(staged))
      process.exit(0)`
    const started = performance.now()
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 8_000 })
    expect(child.stdout, child.stderr).toContain('answered')
    expect(performance.now() - started).toBeLessThan(5_000)
  }, 15_000)
})

describe('unstage(): what moves in is what was checked, and only where it was checked', () => {
  it('the staging folder’s ancestor swapped after the check: what moves in is what was checked', async () => {
    const root = withFiles(temp('modcache-'), { 'example.com/.keep': '' })
    // Where moduleStash puts the staging folder: inside the module cache.
    const entry = withFiles(path.join(root, 'cache/go-mod-download-staging/entry'), { 'example.com/m@v1.0.0/m.go': 'package m // checked' })
    const rename = fsPromises.rename
    vi.spyOn(fsPromises, 'rename').mockImplementationOnce(async (from, to) => {
      // Another user renames cache/ away and puts a folder of its own in its place, holding an unchecked tree.
      renameSync(path.join(root, 'cache'), path.join(root, 'cache-moved'))
      withFiles(root, { 'cache/go-mod-download-staging/entry/example.com/m@v1.0.0/m.go': 'package m // planted' })
      return rename(from, to)
    })
    expect(await unstage(entry, root, ['example.com/m@v1.0.0'])).toEqual(['example.com/m@v1.0.0'])
    expect(readFileSync(path.join(root, 'example.com/m@v1.0.0/m.go'), 'utf8')).toBe('package m // checked')
  })

  it('a read-only directory on the way is made writable through its descriptor; the root, and a directory a link on the way points to, are left as they are', async () => {
    const root = withFiles(temp('modcache-'), { 'cache/download/a/.keep': '' })
    const outside = withFiles(temp('outside-'), { '@v/.keep': '' })
    mkdirSync(path.join(root, 'cache/download/b'))
    symlinkSync(outside, path.join(root, 'cache/download/b/linked'))
    chmodSync(path.join(root, 'cache/download/a'), 0o555)
    chmodSync(outside, 0o555)
    chmodSync(root, 0o555)
    const entry = withFiles(temp('entry-'), { 'cache/download/a/@v/v1.mod': 'mod a', 'cache/download/b/linked/@v/v1.mod': 'mod b', 'a@v1/a.go': 'package a' })
    try {
      expect(await unstage(entry, root, ['cache/download/a/@v/v1.mod', 'cache/download/b/linked/@v/v1.mod', 'a@v1'])).toEqual(['cache/download/a/@v/v1.mod', 'a@v1'])
      expect(statSync(path.join(root, 'cache/download/a')).mode & 0o200).toBe(0o200)
      expect(statSync(root).mode & 0o777).toBe(0o555)
      expect(statSync(outside).mode & 0o777).toBe(0o555)
      expect(readdirSync(path.join(outside, '@v'))).toEqual(['.keep'])
    } finally {
      chmodSync(root, 0o755)
      chmodSync(outside, 0o755)
    }
  })

  it('a directory made in the target’s place meanwhile costs that path only, not the rest of the restore', async () => {
    const root = temp('modcache-')
    const entry = withFiles(temp('entry-'), { 'a@v1/a.go': 'package a', 'b@v1/b.go': 'package b' })
    const rename = fsPromises.rename
    vi.spyOn(fsPromises, 'rename').mockImplementationOnce(async (from, to) => {
      withFiles(root, { 'a@v1/other.go': 'another go got there first' })
      return rename(from, to)
    })
    expect(await unstage(entry, root, ['a@v1', 'b@v1'])).toEqual(['b@v1'])
  })
})

// hasDownloads (cache/stage.ts) runs on the main thread before the check of the module cache:
// existsSync and readdirSync follow a link at cache/download, into a mount that never answers.
describe.skipIf(!canMount)('hasDownloads and a link to a mount that never answers', () => {
  it('answers without looking through the link', async ({ skip }) => {
    const dir = temp('hang-')
    const mount = await hungMount(dir)
    if (!mount) return skip('no FUSE mount here')
    const root = path.join(dir, 'modcache')
    mkdirSync(path.join(root, 'cache'), { recursive: true })
    symlinkSync(path.join(mount.mnt, 'x'), path.join(root, 'cache/download'))
    const code = `
      import { hasDownloads } from ${JSON.stringify(path.join(import.meta.dirname, '../src/cache/stage.ts'))}
      try { hasDownloads(${JSON.stringify(root)}) } catch {}
      console.log('answered')`
    const answered = await answersBeside(mount, code, 5_000)
    expect(answered).toBe(true)
  }, 20_000)
})

// The save's walk to what it stages: a directory on the way swapped for a link into a mount that
// never answers, just after it was checked, must not be looked through (the old walk lstat-ed
// each component by its whole path, and waited in the mount for good).
describe.skipIf(!canMount)('stage() and a link to a mount that never answers, swapped in on the way', () => {
  it('finishes, and stages nothing from the mount', async ({ skip }) => {
    const dir = temp('hang-')
    const mount = await hungMount(dir)
    if (!mount) return skip('no FUSE mount here')
    const root = withFiles(path.join(dir, 'modcache'), { 'cache/download/a/@v/v1.info': '{"Version":"v1"}', 'cache/download/a/@v/v1.mod': 'module a' })
    const entry = temp('entry-')
    // Whichever call checks cache/download/a (an lstat by path, or an open through its parent),
    // the swap follows it at once: the attacker wins the race every time.
    const code = `
      import fs, { promises as fsp, renameSync, symlinkSync } from 'node:fs'
      import { syncBuiltinESMExports } from 'node:module'
      import { writeFileSync } from 'node:fs'
      const [root, entry, mnt, result] = ${JSON.stringify([root, entry, mount.mnt, path.join(dir, 'result.json')])}
      const target = root + '/cache/download/a'
      let swapped = false
      const swap = (p) => {
        // By its whole path, or through its parent's descriptor (/proc/<pid>/fd/<fd>/a).
        if (swapped || !String(p).endsWith('/a')) return
        swapped = true
        renameSync(target, target + '-moved')
        symlinkSync(mnt, target)
      }
      const lstat = fsp.lstat
      fsp.lstat = async (p, ...rest) => { const s = await lstat(p, ...rest); swap(p); return s }
      const openSync = fs.openSync
      fs.openSync = (p, ...rest) => { const fd = openSync(p, ...rest); swap(p); return fd }
      syncBuiltinESMExports()
      const { stage } = await import(${JSON.stringify(path.join(import.meta.dirname, '../src/cache/staging.ts'))})
      const staged = await stage(root, entry, ['cache/download/a/@v'])
      writeFileSync(result, JSON.stringify({ swapped, staged }))
      console.log('answered')`
    const answered = await answersBeside(mount, code, 5_000)
    expect(answered).toBe(true)
    const { swapped } = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as { swapped: boolean }
    expect(swapped).toBe(true)
    // Whatever was staged came from the directory that was checked, never through the link.
    for (const file of existsSync(path.join(entry, 'cache/download/a/@v')) ? readdirSync(path.join(entry, 'cache/download/a/@v')) : []) {
      expect(readFileSync(path.join(entry, 'cache/download/a/@v', file), 'utf8')).toBe(readFileSync(path.join(root, 'cache/download/a-moved/@v', file), 'utf8'))
    }
  }, 20_000)
})
