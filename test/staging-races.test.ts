// The save's links and the restore's moves, raced: another user of a shared module cache who
// renames a directory, or puts a link or a FIFO somewhere, between the checks and the use must
// not decide what is saved or moved in, nor hold the step. Each race is won by the attacker every
// time: the call the defence depends on is intercepted to make the swap just before it runs.
// Loopback only, no network.
import { execFileSync, spawnSync } from 'node:child_process'
import fs, { chmodSync, existsSync, promises as fsPromises, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { moduleStash } from '../src/cache/layout.ts'
import { restoreEntry, saveEntry } from '../src/cache/service.ts'
import { claimStaging, stage, unstage } from '../src/cache/staging.ts'
import { servicePool } from './support/cache-service.ts'
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
const services = servicePool()
afterEach(async () => {
  await services.closeAll()
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

// Another user of the module cache can make the staging folder first, with a FIFO for its owner
// record: the claim that finds the folder taken reads that record, and a read by path waits for
// a writer for good.
describe('claimStaging() and a staging folder another user made', () => {
  it.skipIf(process.platform === 'win32')('a FIFO for the owner record: the claim answers at once, and the folder is not taken while it is new', () => {
    const root = temp('modcache-')
    const staging = path.join(root, 'cache/go-mod-download-staging')
    mkdirSync(staging, { recursive: true })
    execFileSync('mkfifo', [path.join(staging, 'owner')])
    const code = `
      import { claimStaging } from ${JSON.stringify(path.join(import.meta.dirname, '../src/cache/staging.ts'))}
      await claimStaging(${JSON.stringify(staging)}).then(() => console.log('claimed'), e => console.log(e.message))`
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 10_000 })
    expect(run.signal).toBeNull()
    expect(run.stdout.trim()).toBe(`another job on this runner is using ${staging}`)
  })

  it.skipIf(process.platform === 'win32')('a folder of its own put in place just after the claim made the folder: refused, and nothing is written into it', async () => {
    const root = temp('modcache-')
    const staging = path.join(root, 'cache/go-mod-download-staging')
    const mkdir = fsPromises.mkdir
    vi.spyOn(fsPromises, 'mkdir').mockImplementation(async (dir, options) => {
      const made = await mkdir(dir, options)
      // By its path, or through the directory holding it (/proc/<pid>/fd/<fd>/go-mod-download-staging).
      if (String(dir).endsWith('/go-mod-download-staging')) {
        renameSync(staging, `${staging}-ours`)
        withFiles(staging, { 'entry/.keep': '' })
        chmodSync(staging, 0o755)
      }
      return made
    })
    await expect(claimStaging(staging)).rejects.toThrow(`${staging} was replaced as it was made`)
    expect(readdirSync(staging, { recursive: true })).toEqual(['entry', 'entry/.keep'])
  })
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

// The staging folder lies in the module cache (cache/go-mod-download-staging), whose directories
// another user of a shared module cache may rename. Through a real cache service (act's, on
// loopback) and @actions/cache's client: an entry holding one .mod is saved, then restored, and
// the attacker renames cache/ away and puts something else in its place at the worst moment.
describe('a restore whose staging folder is swapped out from under it', () => {
  const MOD = 'cache/download/example.com/a/@v/v1.0.0.mod'
  const OURS = 'module example.com/a\n'

  /** A module cache whose saved entry holds MOD, emptied again; the environment that points the cache at `url` (default: the service itself). */
  async function savedAndEmptied(): Promise<{ root: string; service: URL; restore: (select: (dir: string) => Promise<string[]>, url?: string) => Promise<string[]> }> {
    const service = await services.start()
    const root = withFiles(temp('modcache-'), { [MOD]: OURS })
    const withEnv = async <T>(env: Record<string, string>, run: () => Promise<T>): Promise<T> => {
      const saved = { ...process.env }
      Object.assign(process.env, env, { GITHUB_WORKSPACE: path.dirname(root) })
      try {
        return await run()
      } finally {
        process.env = saved
      }
    }
    const report = await withEnv(service.env, () => saveEntry(moduleStash(root), 'go-mod-swap', [MOD], 30_000))
    expect(report.state, report.why).toBe('saved')
    rmSync(path.join(root, 'cache'), { recursive: true })
    return {
      root,
      service: new URL(service.env.ACTIONS_CACHE_URL ?? ''),
      restore: async (select, url) => {
        const outcome = await withEnv({ ...service.env, ...(url ? { ACTIONS_CACHE_URL: url } : {}) }, () => restoreEntry(moduleStash(root), { key: 'go-mod-swap', restoreKeys: [] }, 30_000, select))
        expect(outcome.report.state, outcome.report.warning).toBe('exact')
        return outcome.moved
      }
    }
  }

  it('swapped for a link to elsewhere while the restore downloads and unpacks: nothing is written there', async () => {
    const { root, service, restore } = await savedAndEmptied()
    const outside = withFiles(temp('outside-'), { 'go-mod-download-staging/.keep': '' })
    // Before the service, on loopback: the restore's process asks it for the entry after the
    // folder was claimed, before anything is downloaded or unpacked. That is when cache/ goes.
    let swapped = false
    const front = http.createServer((req, res) => {
      if (!swapped) {
        swapped = true
        renameSync(path.join(root, 'cache'), path.join(root, 'cache-moved'))
        symlinkSync(outside, path.join(root, 'cache'))
      }
      const upstream = http.request({ host: service.hostname, port: service.port, path: req.url, method: req.method, headers: req.headers }, answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      req.pipe(upstream)
    })
    await new Promise<void>(resolve => front.listen(0, '127.0.0.1', resolve))
    try {
      let seen: string | undefined
      const moved = await restore(async dir => {
        seen = readFileSync(path.join(dir, MOD), 'utf8')
        return [MOD]
      }, `http://127.0.0.1:${(front.address() as AddressInfo).port}${service.pathname}`)
      expect(swapped).toBe(true)
      // What was unpacked and checked is the entry's; nothing of it, nor the archive, went through the link.
      expect(seen).toBe(OURS)
      expect(readdirSync(outside, { recursive: true }).sort()).toEqual(['go-mod-download-staging', 'go-mod-download-staging/.keep'])
      // cache/ is a link now: nothing moves in through it.
      expect(moved).toEqual([])
    } finally {
      front.closeAllConnections()
      await new Promise(resolve => front.close(resolve))
    }
  }, 60_000)

  it('swapped for a folder of the attacker’s after the check, before the moves: what moves in is what was checked', async () => {
    const { root, restore } = await savedAndEmptied()
    const moved = await restore(async dir => {
      expect(readFileSync(path.join(dir, MOD), 'utf8')).toBe(OURS)
      // The check passed; now the attacker's own folder takes the staging folder's place.
      renameSync(path.join(root, 'cache'), path.join(root, 'cache-moved'))
      withFiles(root, { [`cache/go-mod-download-staging/entry/${MOD}`]: 'module planted\n' })
      return [MOD]
    })
    expect(moved).toEqual([MOD])
    expect(readFileSync(path.join(root, MOD), 'utf8')).toBe(OURS)
  }, 60_000)
})

// A directory on the save's way that is a mount point (another user's FUSE mount on a folder of
// theirs in the shared module cache, which needs no link): the old walk lstat-ed each component
// and stopped at the first on another file system (the mount's root answers its stat). The walk
// through held directories must stop there too, before any lookup inside the mount.
describe.skipIf(!canMount)('stage() and a mount that never answers, mounted on a directory on the way', () => {
  it('finishes, naming the path as on another file system', async ({ skip }) => {
    const dir = temp('hang-')
    const root = withFiles(path.join(dir, 'modcache'), { 'cache/download/ok/@v/v1.mod': 'module ok' })
    // Mounted at <root>/cache/download/mnt: a real directory, no link anywhere.
    const mount = await hungMount(path.join(root, 'cache/download'))
    if (!mount) return skip('no FUSE mount here')
    const entry = temp('entry-')
    const code = `
      import { writeFileSync } from 'node:fs'
      const { stage } = await import(${JSON.stringify(path.join(import.meta.dirname, '../src/cache/staging.ts'))})
      const staged = await stage(${JSON.stringify(root)}, ${JSON.stringify(entry)}, ['cache/download/mnt/@v/v1.info', 'cache/download/mnt/@v', 'cache/download/ok/@v/v1.mod'])
      writeFileSync(${JSON.stringify(path.join(dir, 'result.json'))}, JSON.stringify(staged))
      console.log('answered')`
    const answered = await answersBeside(mount, code, 5_000)
    expect(answered).toBe(true)
    const staged = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as { skipped: { path: string; why: string }[] }
    expect(staged.skipped.map(s => s.path)).toEqual(['cache/download/mnt/@v/v1.info', 'cache/download/mnt/@v'])
    for (const s of staged.skipped) expect(s.why).toMatch(/another file system/)
    expect(readFileSync(path.join(entry, 'cache/download/ok/@v/v1.mod'), 'utf8')).toBe('module ok')
  }, 20_000)
})

// The claim and the release named the staging folder by its path, through cache/, which another
// user of a shared module cache may rename away and replace with a link at any moment; into a
// mount that never answers, every lookup by that path waits for good, with no deadline around it.
describe.skipIf(!canMount)('claimStaging() and release() and a mount that never answers', () => {
  const claimIn = (root: string, swapWhen: 'made' | 'claimed', mnt: string, result: string) => `
      import fs, { promises as fsp, renameSync, symlinkSync, writeFileSync } from 'node:fs'
      import { syncBuiltinESMExports } from 'node:module'
      const root = ${JSON.stringify(root)}
      let swapped = false
      const swap = () => {
        if (swapped) return
        swapped = true
        renameSync(root + '/cache', root + '/cache-moved')
        symlinkSync(${JSON.stringify(mnt)}, root + '/cache')
      }
      // Just after the staging folder is made, by whichever call makes it.
      const made = p => ${JSON.stringify(swapWhen)} === 'made' && String(p).endsWith('/go-mod-download-staging') && swap()
      const mkdir = fsp.mkdir
      fsp.mkdir = async (p, ...rest) => { const r = await mkdir(p, ...rest); made(p); return r }
      const mkdirSync = fs.mkdirSync
      fs.mkdirSync = (p, ...rest) => { const r = mkdirSync(p, ...rest); made(p); return r }
      syncBuiltinESMExports()
      const { claimStaging } = await import(${JSON.stringify(path.join(import.meta.dirname, '../src/cache/staging.ts'))})
      const { moduleStash } = await import(${JSON.stringify(path.join(import.meta.dirname, '../src/cache/layout.ts'))})
      const stash = moduleStash(root)
      const outcome = await claimStaging(stash.staging, stash.root).then(async staging => {
        if (${JSON.stringify(swapWhen)} === 'claimed') swap()
        await staging.release()
        return 'claimed and released'
      }, e => e.message)
      writeFileSync(${JSON.stringify(result)}, JSON.stringify({ swapped, outcome }))
      console.log('answered')`

  it('cache/ swapped for a link into the mount just after the folder is made: the claim answers', async ({ skip }) => {
    const dir = temp('hang-')
    const mount = await hungMount(dir)
    if (!mount) return skip('no FUSE mount here')
    const root = withFiles(path.join(dir, 'modcache'), { 'cache/download/.keep': '' })
    const answered = await answersBeside(mount, claimIn(root, 'made', mount.mnt, path.join(dir, 'result.json')), 5_000)
    expect(answered).toBe(true)
    expect(JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8'))).toMatchObject({ swapped: true })
  }, 20_000)

  it('cache/ swapped for a link into the mount while the folder is held: the release answers', async ({ skip }) => {
    const dir = temp('hang-')
    const mount = await hungMount(dir)
    if (!mount) return skip('no FUSE mount here')
    const root = withFiles(path.join(dir, 'modcache'), { 'cache/download/.keep': '' })
    const answered = await answersBeside(mount, claimIn(root, 'claimed', mount.mnt, path.join(dir, 'result.json')), 5_000)
    expect(answered).toBe(true)
    expect(JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8'))).toEqual({ swapped: true, outcome: 'claimed and released' })
    // Emptied through its descriptor, and removed from the directory it was made in.
    expect(readdirSync(path.join(root, 'cache-moved'))).toEqual(['download'])
  }, 20_000)

  it('the staging folder planted as a link into the mount: the claim answers', async ({ skip }) => {
    const dir = temp('hang-')
    const mount = await hungMount(dir)
    if (!mount) return skip('no FUSE mount here')
    const root = withFiles(path.join(dir, 'modcache'), { 'cache/download/.keep': '' })
    symlinkSync(mount.mnt, path.join(root, 'cache/go-mod-download-staging'))
    const answered = await answersBeside(mount, claimIn(root, 'never' as 'made', mount.mnt, path.join(dir, 'result.json')), 5_000)
    expect(answered).toBe(true)
  }, 20_000)

  it('the staging folder made by another user, with the mount on it: the claim answers', async ({ skip }) => {
    const dir = temp('hang-')
    const root = withFiles(path.join(dir, 'modcache'), { 'cache/download/.keep': '' })
    // hungMount mounts at <dir>/mnt (here <root>/cache/mnt); the mount is then moved onto the folder's own name.
    const mount = await hungMount(path.join(root, 'cache'))
    if (!mount) return skip('no FUSE mount here')
    execFileSync('mkdir', [path.join(root, 'cache/go-mod-download-staging')])
    execFileSync('mount', ['--move', mount.mnt, path.join(root, 'cache/go-mod-download-staging')])
    const moved = { release: () => { mount.release(); spawnSync('umount', ['-l', path.join(root, 'cache/go-mod-download-staging')]) } }
    const answered = await answersBeside(moved, claimIn(root, 'never' as 'made', mount.mnt, path.join(dir, 'result.json')), 5_000)
    expect(answered).toBe(true)
  }, 20_000)
})

// A reclaim deletes a stale staging folder that another user may have made and may change while
// it is deleted: a directory in it swapped for a link between the check of it and the listing of
// it must not have the link's target emptied (fs.rm by path checks with lstat, then lists and
// unlinks through the path).
describe('claimStaging() reclaiming a stale folder another user made', () => {
  it.skipIf(process.platform === 'win32')('a directory in it swapped for a link while it is deleted: nothing outside is deleted', async () => {
    const outside = withFiles(temp('outside-'), { precious: 'not the cache’s' })
    const root = temp('modcache-')
    const staging = path.join(root, 'cache/go-mod-download-staging')
    withFiles(staging, { 'sub/x': 'x' })
    // No owner record, and older than a claim takes: a claimer that died.
    const old = new Date(Date.now() - 10 * 60_000)
    utimesSync(staging, old, old)
    let swapped = false
    const swap = (p: unknown) => {
      const at = String(p)
      if (swapped || !at.endsWith('/sub')) return
      swapped = true
      renameSync(at, `${at}-moved`)
      symlinkSync(outside, at)
    }
    // fs.rm lists a directory with fs.readdir after its lstat (and rmdir): the swap just before the listing.
    const readdir = fs.readdir
    vi.spyOn(fs, 'readdir').mockImplementation(((p: fs.PathLike, ...rest: unknown[]) => {
      swap(p)
      return (readdir as (...a: unknown[]) => void)(p, ...rest)
    }) as typeof fs.readdir)
    // A walk that checks with lstat and then opens: the swap just after the check.
    const lstat = fsPromises.lstat
    vi.spyOn(fsPromises, 'lstat').mockImplementation((async (p: fs.PathLike, ...rest: unknown[]) => {
      const stat = await (lstat as (...a: unknown[]) => Promise<fs.Stats>)(p, ...rest)
      swap(p)
      return stat
    }) as typeof fsPromises.lstat)
    // confined.ts imports lstat from node:fs/promises by name.
    syncBuiltinESMExports()
    const staged = await claimStaging(staging)
      .then(
        s => s,
        (e: Error) => e
      )
      .finally(() => {
        vi.restoreAllMocks()
        syncBuiltinESMExports()
      })
    expect(swapped).toBe(true)
    expect(readdirSync(outside)).toEqual(['precious'])
    if (!(staged instanceof Error)) await staged.release()
  })
})

// Between stage()'s checks and its link, another user renames a directory of theirs into the
// checked one's place, with a mount that never answers on its @v: the link looks the file up
// through the directory it opens again, inside the mount.
describe.skipIf(!canMount)('stage() and a directory with a mount on it renamed in after the checks', () => {
  it('finishes, and the path is named as changed', async ({ skip }) => {
    const dir = temp('hang-')
    const root = withFiles(path.join(dir, 'modcache'), { 'cache/download/a/@v/v1.info': '{"Version":"v1"}', 'cache/download/z/@v/.keep': '' })
    const mount = await hungMount(path.join(root, 'cache/download/z'))
    if (!mount) return skip('no FUSE mount here')
    execFileSync('mount', ['--move', mount.mnt, path.join(root, 'cache/download/z/@v')])
    const moved = {
      release: () => {
        mount.release()
        for (const at of ['a', 'z']) spawnSync('umount', ['-l', path.join(root, 'cache/download', at, '@v')])
      }
    }
    const entry = temp('entry-')
    const code = `
      import { promises as fsp, renameSync, writeFileSync } from 'node:fs'
      const [root, entry, result] = ${JSON.stringify([root, entry, path.join(dir, 'result.json')])}
      let swapped = false
      // stage() makes the entry's directory just before each link: the checks are done by then.
      const mkdir = fsp.mkdir
      fsp.mkdir = async (p, ...rest) => {
        if (!swapped) {
          swapped = true
          renameSync(root + '/cache/download/a', root + '/cache/download/a-moved')
          renameSync(root + '/cache/download/z', root + '/cache/download/a')
        }
        return mkdir(p, ...rest)
      }
      const { stage } = await import(${JSON.stringify(path.join(import.meta.dirname, '../src/cache/staging.ts'))})
      const staged = await stage(root, entry, ['cache/download/a/@v/v1.info'])
      writeFileSync(result, JSON.stringify({ swapped, staged }))
      console.log('answered')`
    const answered = await answersBeside(moved, code, 5_000)
    expect(answered).toBe(true)
    expect(JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8'))).toEqual({
      swapped: true,
      staged: { bytes: 0, skipped: [{ path: 'cache/download/a/@v/v1.info', why: 'cache/download/a/@v/v1.info changed after it was checked' }] }
    })
  }, 20_000)
})

describe('stage(): a tree that changes while it is read', () => {
  it('a file gone between the listing and its lstat: the tree is not saved, the rest is, and no /proc path is shown', async () => {
    const root = withFiles(temp('modcache-'), { 'tree@v1/a.go': 'package a', 'tree@v1/b.go': 'package a', 'cache/download/ok/@v/v1.mod': 'module ok' })
    const entry = temp('entry-')
    const readdir = fsPromises.readdir
    vi.spyOn(fsPromises, 'readdir').mockImplementationOnce((async (...args: unknown[]) => {
      const names = await (readdir as (...a: unknown[]) => Promise<string[]>)(...args)
      // Another go's `clean -modcache`, or another user, removes a file just after the listing.
      rmSync(path.join(root, 'tree@v1/b.go'))
      return names
    }) as typeof fsPromises.readdir)
    const staged = await stage(root, entry, ['cache/download/ok/@v/v1.mod', 'tree@v1'])
    expect(staged.skipped).toEqual([{ path: 'tree@v1', why: 'tree@v1/b.go changed while it was read' }])
    expect(readFileSync(path.join(entry, 'cache/download/ok/@v/v1.mod'), 'utf8')).toBe('module ok')
  })
})

// A cancelled step runs the staging folder's release as its cleanup (cleanUpOnCancel) while the
// restore's or save's own `finally` releases it too once its killed process is gone. The release
// goes through the descriptors it closes: a second one must not name, empty or close whatever
// directory those numbers were given to since.
describe('claimStaging(): a release that comes twice (a cancel’s cleanup, then the step’s own finally)', () => {
  it.skipIf(process.platform === 'win32')('the second release deletes nothing and closes nothing of what holds the numbers now', async () => {
    const root = temp('modcache-')
    const staging = await claimStaging(path.join(root, 'cache/go-mod-download-staging'), root)
    await staging.release()
    // Directories opened now are given the numbers the first release let go.
    const victims = [0, 1, 2].map(() => withFiles(temp('victim-'), { precious: 'not the staging folder’s' }))
    const fds = victims.map(v => fs.openSync(v, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY))
    try {
      await staging.release().catch(() => undefined)
      for (const v of victims) expect(readdirSync(v)).toEqual(['precious'])
      for (const fd of fds) expect(() => fs.fstatSync(fd)).not.toThrow()
    } finally {
      for (const fd of fds) {
        try {
          fs.closeSync(fd)
        } catch {
          // Closed by the second release.
        }
      }
    }
  })
})
