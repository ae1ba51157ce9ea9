// The check of the module cache the step starts from, restored or left on the runner: go trusts
// a zip whose .ziphash text matches go.sum and never rehashes it, nor the tree it extracted. So
// every zip, extracted tree and .mod that go.sum names is hashed here as go's dirhash does; one
// that does not match, or cannot be read, is thrown away (the download fetches it again through
// the healthy candidates). Files go.sum does not name are left alone: another project may own them.
//
// The module cache is shared ground (see confined.ts): nothing is followed or opened that could
// block. A symlink, FIFO, device or directory where go.sum names a file, anything but a plain
// tree where it names a tree, and a link or file where a directory on the way should be, is
// removed (the link itself, never its target). The check has a deadline (timing.ts): what is not
// checked by then is thrown away too, and fetched again.
//
// Other go processes may share the module cache (self-hosted runners): a tree with go's
// `.partial` marker beside it is being extracted by one of them and is left alone, and nothing
// is removed without go's lock on that module version (go-lock.ts), waited for at most
// LOCK_WAIT_MS. What must go and cannot (the lock still held, a read-only module cache) stops the
// step with an error naming it: go would otherwise use it as it is.
import type { Stats } from 'node:fs'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import { type Dir, kindOf, lstatOf, NotADirectory, openDir, openDirIfThere, readRegular, removeEntry, writeReplacing } from '../confined.ts'
import { Hashers } from '../fetch/hashers.ts'
import { takeGoLock } from '../go-lock.ts'
import { goModHash, type SumLine } from '../gosum.ts'
import { checkDeadlineMs, LOCK_WAIT_MS } from '../timing.ts'
import { type Check, checksFor, downloadBase, MAX_GO_MOD_BYTES, treePath } from './layout.ts'

export interface Discarded {
  module: string
  version: string
  why: string
}

export interface VerifyReport {
  zips: number
  trees: number
  mods: number
  discarded: Discarded[]
  /** Zips that matched go.sum but whose .ziphash did not say so (missing or wrong): rewritten. */
  repaired: number
  /** Trees another go was extracting (its `.partial` marker beside them), when there were any: neither checked nor counted. */
  extracting?: number
  /** Why go's locks could not be taken here (no perl, Windows), when they could not. */
  unlocked?: string
  durationMs: number
}

const WHAT = { zip: 'zip', tree: 'extracted tree', mod: 'go.mod' }
/** Checks under way at once: each holds its directory open until its hash is in. */
const IN_FLIGHT = 64

/** A file or tree go.sum names, found in the module cache: what it is, and its size for the deadline. */
interface Found {
  check: Check
  /** The entry itself (never what a link points to). */
  stats: Stats
}

export async function verifyModuleCache(modcache: string, lines: SumLine[], options: { deadlineMs?: number } = {}): Promise<VerifyReport> {
  const started = performance.now()
  const report: VerifyReport = { zips: 0, trees: 0, mods: 0, discarded: [], repaired: 0, durationMs: 0 }
  const problems = new Map<string, { module: string; version: string; why: string[]; remove: Set<string> }>()
  const blame = (check: Pick<Check, 'module' | 'version'>, why: string, remove: string[]) => {
    const id = `${check.module}@${check.version}`
    const known = problems.get(id) ?? { module: check.module, version: check.version, why: [], remove: new Set<string>() }
    problems.set(id, known)
    if (!known.why.includes(why)) known.why.push(why)
    for (const rel of remove) known.remove.add(rel)
  }

  const found: Found[] = []
  for (const check of checksFor(lines)) {
    const located = locate(modcache, check)
    if (located === undefined) continue
    if ('blocked' in located) blame(check, located.blocked.message, [located.blocked.rel])
    else if (located.stats === 'extracting') report.extracting = (report.extracting ?? 0) + 1
    else found.push({ check, stats: located.stats })
  }

  // Nothing else runs yet: a thread per core.
  const hashers = new Hashers(Math.max(1, Math.min(4, availableParallelism())))
  const zipBytes = new Map(found.filter(f => f.check.what === 'zip').map(f => [`${f.check.module}@${f.check.version}`, f.stats.size]))
  // A tree counts as its zip's size: its files are the zip's, inflated.
  const budget = found.reduce((n, f) => n + (f.check.what === 'tree' ? (zipBytes.get(`${f.check.module}@${f.check.version}`) ?? 0) : f.stats.size), 0)
  const deadlineMs = options.deadlineMs ?? checkDeadlineMs(budget)
  let expired = false
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'expired'>(resolve => {
    timer = setTimeout(() => {
      expired = true
      resolve('expired')
    }, deadlineMs)
  })
  const good: Found[] = []
  try {
    let next = 0
    const checkOne = async (item: Found) => {
      report[`${item.check.what}s`]++
      const problem = expired ? 'expired' : await Promise.race([problemWith(item, modcache, hashers), deadline])
      if (problem === 'expired') blame(item.check, `not checked within the check's deadline (${Math.round(deadlineMs / 1000)} s)`, removalsFor(item.check))
      else if (problem) blame(item.check, problem, removalsFor(item.check))
      else good.push(item)
    }
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < found.length) await checkOne(found[next++] as Found)
      })
    )
  } finally {
    clearTimeout(timer)
    // Past the deadline a thread may still be reading: it is ended, not waited for.
    if (expired) void hashers.abandon()
    else await hashers.close()
  }

  const stuck: string[] = []
  const identities = new Map(found.map(f => [f.check.path, f.stats]))
  await Promise.all(
    [...problems.values()].map(async problem => {
      const outcome = await removeUnderLock(modcache, problem, identities)
      if (outcome.unlocked) report.unlocked = outcome.unlocked
      if (outcome.stuck) stuck.push(`${problem.module} ${problem.version} (${problem.why.join('; ')}): ${outcome.stuck}`)
    })
  )
  report.discarded = [...problems.values()].map(p => ({ module: p.module, version: p.version, why: p.why.join('; ') }))
  for (const item of good) {
    if (item.check.what === 'zip' && !problems.has(`${item.check.module}@${item.check.version}`) && keepZipHash(modcache, item.check)) report.repaired++
  }
  report.durationMs = performance.now() - started
  if (stuck.length > 0) throw new Error(`The module cache holds what go.sum does not vouch for, and the step cannot remove it, so go would use it as it is: ${stuck.join('; ')}.`)
  return report
}

/**
 * Where the check's file or tree is: its lstat, `extracting` for a tree go's `.partial` marker
 * says another go is writing, undefined when it is not there, or the component on the way that
 * is not a real directory.
 */
function locate(modcache: string, check: Check): { stats: Stats | 'extracting' } | { blocked: NotADirectory } | undefined {
  let dir: Dir | undefined
  try {
    dir = openDirIfThere(modcache, path.posix.dirname(check.path))
  } catch (e) {
    if (e instanceof NotADirectory) return { blocked: e }
    throw e
  }
  if (!dir) return undefined
  try {
    const stats = lstatOf(dir.entry(path.posix.basename(check.path)))
    if (!stats) return undefined
    if (check.what === 'tree' && markerOf(modcache, check) !== undefined) return { stats: 'extracting' }
    return { stats }
  } finally {
    dir.close()
  }
}

/** What go's `.partial` marker for the check's module version is, if it is there. */
function markerOf(modcache: string, check: Pick<Check, 'module' | 'version'>): string | undefined {
  const base = downloadBase(check.module, check.version)
  try {
    const dir = openDirIfThere(modcache, path.posix.dirname(base))
    if (!dir) return undefined
    try {
      return kindOf(dir.entry(`${path.posix.basename(base)}.partial`))
    } finally {
      dir.close()
    }
  } catch {
    return undefined
  }
}

/** Why the file or tree does not hold what go.sum vouches for; undefined when it does. */
async function problemWith({ check, stats }: Found, modcache: string, hashers: Hashers): Promise<string | undefined> {
  const what = WHAT[check.what]
  const expected = check.what === 'tree' ? stats.isDirectory() : stats.isFile()
  if (!expected) return `${what} is ${kindOf(path.join(modcache, check.path)) ?? 'gone'}, not a ${check.what === 'tree' ? 'directory' : 'regular file'}`
  let dir: Dir
  try {
    dir = openDir(modcache, path.posix.dirname(check.path))
  } catch (e) {
    return `${what} unreadable: ${(e as Error).message}`
  }
  const name = path.posix.basename(check.path)
  try {
    const hash =
      check.what === 'zip'
        ? await hashers.zip(dir.entry(name))
        : check.what === 'tree'
          ? await hashers.tree(dir.entry(name), `${check.module}@${check.version}`)
          : goModHash(readRegular(dir.entry(name), MAX_GO_MOD_BYTES))
    if (hash !== check.hash) return `${what} does not match go.sum`
    return check.what === 'zip' ? besideZip(dir, name) : undefined
  } catch (e) {
    return `${what} unreadable: ${(e as Error).message}`
  } finally {
    // Past the deadline the task is abandoned and this runs at once: whatever its thread still reads is never used.
    dir.close()
  }
}

/** What go takes with a zip that must be a plain file too: its .ziphash and .info, when there. */
function besideZip(dir: Dir, zipName: string): string | undefined {
  for (const name of [`${zipName}hash`, zipName.replace(/\.zip$/, '.info')]) {
    const kind = kindOf(dir.entry(name))
    if (kind !== undefined && kind !== 'a file') return `${name} is ${kind}, not a regular file`
  }
  return undefined
}

/** What goes with a check that failed: a .mod alone, a tree alone, or a zip with what go would take from it (its .ziphash, .info and tree). */
function removalsFor(check: Check): string[] {
  const base = downloadBase(check.module, check.version)
  if (check.what === 'mod') return [`${base}.mod`]
  if (check.what === 'tree') return [treePath(check.module, check.version)]
  return [`${base}.zip`, `${base}.ziphash`, `${base}.info`, treePath(check.module, check.version)]
}

/**
 * Removes a module version's failed files under go's lock, each only if it is still the one
 * that was checked (another go, holding the lock meanwhile, may have written a good one), and
 * a tree never while go's `.partial` marker says another go is writing it. Says why it could
 * not, if it could not.
 */
async function removeUnderLock(
  modcache: string,
  problem: { module: string; version: string; remove: Set<string> },
  checked: Map<string, Stats>
): Promise<{ stuck?: string; unlocked?: string }> {
  const base = downloadBase(problem.module, problem.version)
  const lockName = `${path.posix.basename(base)}.lock`
  let release: (() => void) | undefined
  let unlocked: string | undefined
  let lockDir: Dir | undefined
  try {
    // Where the lock lives must be a real directory: a link in the way is removed without it (no go locks through it but by following it).
    lockDir = openDirIfThere(modcache, path.posix.dirname(base))
  } catch (e) {
    if (!(e instanceof NotADirectory)) throw e
  }
  try {
    if (lockDir) {
      let locked = await takeGoLock(lockDir.entry(lockName), LOCK_WAIT_MS)
      if (locked.kind === 'refused' && kindOf(lockDir.entry(lockName)) !== 'a file') {
        // A link, FIFO or directory where go keeps its lock: no go locks it but by following it.
        await removeEntry(lockDir, lockName)
        locked = await takeGoLock(lockDir.entry(lockName), LOCK_WAIT_MS)
      }
      if (locked.kind === 'busy') return { stuck: `another process has held go's lock on it (${path.join(lockDir.shown, lockName)}) for ${LOCK_WAIT_MS / 1000} s` }
      // Nothing can write a read-only module cache, no go included: what it holds is tried as it is (and named if it cannot go).
      if (locked.kind === 'refused' && locked.code !== 'EROFS') return { stuck: `go's lock file ${path.join(lockDir.shown, lockName)} cannot be locked: ${locked.why}` }
      if (locked.kind === 'unavailable') unlocked = locked.why
      else if (locked.kind === 'held') release = locked.release
    }
    const extracting = markerOf(modcache, problem) !== undefined
    for (const rel of problem.remove) {
      if (extracting && rel === treePath(problem.module, problem.version)) continue
      const failed = await removeIfUnchanged(modcache, rel, checked.get(rel))
      if (failed) return { stuck: failed, ...(unlocked ? { unlocked } : {}) }
    }
    return unlocked ? { unlocked } : {}
  } finally {
    release?.()
    lockDir?.close()
  }
}

/** Removes the entry at `rel` (or the component on its way that is not a directory), unless it is no longer the one checked; why not, if it could not. */
async function removeIfUnchanged(modcache: string, rel: string, checked: Stats | undefined): Promise<string | undefined> {
  let dir: Dir | undefined
  let name = path.posix.basename(rel)
  try {
    try {
      dir = openDirIfThere(modcache, path.posix.dirname(rel))
    } catch (e) {
      if (!(e instanceof NotADirectory)) throw e
      // The link (or file) where a directory should be goes, not what it points to.
      dir = openDir(modcache, path.posix.dirname(e.rel))
      name = path.posix.basename(e.rel)
      checked = undefined
    }
    if (!dir) return undefined
    const now = lstatOf(dir.entry(name))
    if (!now) return undefined
    if (checked && (now.ino !== checked.ino || now.dev !== checked.dev)) return undefined
    await removeEntry(dir, name)
    return undefined
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const where = path.join(modcache, rel)
    if (code === 'EROFS') return `${where} cannot be removed: the module cache is on a read-only file system (EROFS); make it writable for this step, or repair it where it is written`
    if (code === 'EACCES' || code === 'EPERM') return `${where} cannot be removed: the step may not write there (${code}); the module cache may be read-only or another user's`
    return `${where} cannot be removed: ${(e as Error).message}`
  } finally {
    dir?.close()
  }
}

/** Writes the .ziphash go compares with go.sum when it is missing or wrong beside a zip that matched; true when it did. */
function keepZipHash(modcache: string, check: Check): boolean {
  const base = downloadBase(check.module, check.version)
  let dir: Dir
  try {
    dir = openDir(modcache, path.posix.dirname(base))
  } catch {
    return false
  }
  const name = `${path.posix.basename(base)}.ziphash`
  try {
    const text = (() => {
      try {
        return readRegular(dir.entry(name), 1024).toString('utf8')
      } catch {
        return undefined
      }
    })()
    if (text?.trim() === check.hash) return false
    try {
      // A new file renamed over the old: a .ziphash hard-linked to a file elsewhere never has that file written.
      writeReplacing(dir, name, check.hash, `${name}.${process.pid}-${Date.now()}.partial`)
      return true
    } catch {
      // A read-only module cache: go finds the .ziphash missing and rehashes the zip itself.
      return false
    }
  } finally {
    dir.close()
  }
}
