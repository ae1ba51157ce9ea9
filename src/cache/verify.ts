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
import { describe, type Dir, kindOf, lstatOf, NotADirectory, openDir, openDirIfThere, readableError, readRegular, removeEntry, writeReplacing } from '../util/confined.ts'
import { Hashers } from '../fetch/hashers.ts'
import { takeGoLock } from '../go/go-lock.ts'
import { goModHash, type SumLine } from '../module/gosum.ts'
import { MAX_BYTES } from '../module/limits.ts'
import { checkDeadlineMs, LOCK_WAIT_MS } from '../util/timing.ts'
import { type Check, checksFor, downloadBase, treePath } from '../module/vouched.ts'

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

/** A module version whose files must go: why, what to remove (relative to GOMODCACHE), and what failed its check, as it was then. */
interface Problem {
  module: string
  version: string
  why: string[]
  remove: Set<string>
  failed: Map<string, Stats>
}

/** A file or tree go.sum names, found in the module cache: what it is, and its size for the deadline. */
interface Found {
  check: Check
  /** The entry itself (never what a link points to). */
  stats: Stats
}

export interface VerifyOptions {
  deadlineMs?: number
  /** Paths (relative to modcache) already checked elsewhere: not hashed again. */
  checked?: ReadonlySet<string>
  /**
   * A folder no go works in (an entry's staging folder): go's `.partial` markers are not
   * honoured there (a marker in an entry must not let a tree in unchecked) and no lock is taken.
   */
  alone?: boolean
}

export async function verifyModuleCache(modcache: string, lines: SumLine[], options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now()
  const report: VerifyReport = { zips: 0, trees: 0, mods: 0, discarded: [], repaired: 0, durationMs: 0 }
  const problems = new Map<string, Problem>()
  const blame = (check: Pick<Check, 'module' | 'version'>, why: string, remove: string[], failed?: Found) => {
    const id = `${check.module}@${check.version}`
    const known = problems.get(id) ?? { module: check.module, version: check.version, why: [], remove: new Set<string>(), failed: new Map<string, Stats>() }
    problems.set(id, known)
    if (!known.why.includes(why)) known.why.push(why)
    for (const rel of remove) known.remove.add(rel)
    if (failed) known.failed.set(failed.check.path, failed.stats)
  }

  const found: Found[] = []
  for (const check of checksFor(lines)) {
    if (options.checked?.has(check.path)) continue
    const located = locate(modcache, check, options.alone ?? false)
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
  // What each check found, in go.sum's order (the checks run many at once).
  const findings: (string | undefined)[] = []
  try {
    let next = 0
    const checkOne = async (i: number) => {
      const item = found[i] as Found
      report[`${item.check.what}s`]++
      const problem = expired ? 'expired' : await Promise.race([problemWith(item, modcache, hashers), deadline])
      findings[i] = problem === 'expired' ? `not checked within the check's deadline (${Math.round(deadlineMs / 1000)} s)` : problem
    }
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < found.length) await checkOne(next++)
      })
    )
  } finally {
    clearTimeout(timer)
    // Past the deadline a thread may still be reading: it is ended, not waited for.
    if (expired) void hashers.abandon()
    else await hashers.close()
  }
  const good = found.filter((item, i) => {
    const problem = findings[i]
    if (problem) blame(item.check, problem, removalsFor(item.check), item)
    return problem === undefined
  })

  const stuck: string[] = []
  const outcomes = await Promise.all([...problems.values()].map(problem => removeUnderLock(modcache, problem, options.alone ?? false)))
  for (const [i, problem] of [...problems.values()].entries()) {
    const outcome = outcomes[i] as Awaited<ReturnType<typeof removeUnderLock>>
    if (outcome.unlocked) report.unlocked = outcome.unlocked
    if (outcome.stuck) stuck.push(`${problem.module} ${problem.version} (${problem.why.join('; ')}): ${outcome.stuck}`)
    if (outcome.removed) report.discarded.push({ module: problem.module, version: problem.version, why: problem.why.join('; ') })
  }
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
function locate(modcache: string, check: Check, alone: boolean): { stats: Stats | 'extracting' } | { blocked: NotADirectory } | undefined {
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
    if (check.what === 'tree' && !alone && hasMarker(modcache, check)) return { stats: 'extracting' }
    return { stats }
  } finally {
    dir.close()
  }
}

/**
 * Whether go's `.partial` marker for the module version is there: a plain file, as go writes it.
 * Anything else by that name is no marker (go's own stat would not see a dangling link as one),
 * so it never makes the check skip a tree go would use.
 */
function hasMarker(modcache: string, check: Pick<Check, 'module' | 'version'>): boolean {
  const base = downloadBase(check.module, check.version)
  try {
    const dir = openDirIfThere(modcache, path.posix.dirname(base))
    if (!dir) return false
    try {
      return lstatOf(dir.entry(`${path.posix.basename(base)}.partial`))?.isFile() ?? false
    } finally {
      dir.close()
    }
  } catch {
    return false
  }
}

/** Why the file or tree does not hold what go.sum vouches for; undefined when it does. */
async function problemWith({ check, stats }: Found, modcache: string, hashers: Hashers): Promise<string | undefined> {
  const what = WHAT[check.what]
  const expected = check.what === 'tree' ? stats.isDirectory() : stats.isFile()
  if (!expected) return `${what} is ${describe(stats)}, not a ${check.what === 'tree' ? 'directory' : 'regular file'}`
  let dir: Dir
  try {
    dir = openDir(modcache, path.posix.dirname(check.path))
  } catch (e) {
    return `${what} unreadable: ${readableError(e)}`
  }
  const name = path.posix.basename(check.path)
  try {
    const hash =
      check.what === 'zip'
        ? await hashers.zip(dir.entry(name))
        : check.what === 'tree'
          ? await hashers.tree(dir.entry(name), `${check.module}@${check.version}`)
          : goModHash(readRegular(dir.entry(name), MAX_BYTES.mod))
    if (hash !== check.hash) return `${what} does not match go.sum`
    return check.what === 'zip' ? besideZip(dir, name) : undefined
  } catch (e) {
    return `${what} unreadable: ${readableError(e)}`
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
 * Removes a module version's files under go's lock, unless what failed its check is no longer
 * the one that was checked (another go, holding the lock meanwhile, wrote it anew, checking it
 * itself), and a tree never while go's `.partial` marker says another go is writing it. Says
 * whether it removed them, and why not if it could not.
 */
async function removeUnderLock(modcache: string, problem: Problem, alone: boolean): Promise<{ removed?: boolean; stuck?: string; unlocked?: string }> {
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
    if (lockDir && !alone) {
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
    const withUnlocked = unlocked ? { unlocked } : {}
    for (const [rel, checked] of problem.failed) {
      const now = lstatIn(modcache, rel)
      if (now && (now.ino !== checked.ino || now.dev !== checked.dev)) return withUnlocked
    }
    const extracting = !alone && hasMarker(modcache, problem)
    for (const rel of problem.remove) {
      if (extracting && rel === treePath(problem.module, problem.version)) continue
      const failed = await removeAt(modcache, rel)
      if (failed) return { stuck: failed, ...withUnlocked }
    }
    return { removed: true, ...withUnlocked }
  } finally {
    release?.()
    lockDir?.close()
  }
}

/** The entry at `rel` itself (never what a link points to), reached without a link; undefined when it is not there or not reachable. */
function lstatIn(modcache: string, rel: string): Stats | undefined {
  try {
    const dir = openDirIfThere(modcache, path.posix.dirname(rel))
    if (!dir) return undefined
    try {
      return lstatOf(dir.entry(path.posix.basename(rel)))
    } finally {
      dir.close()
    }
  } catch {
    return undefined
  }
}

/** Removes the entry at `rel`, or the component on its way that is not a directory (never what it points to); why not, if it could not. */
async function removeAt(modcache: string, rel: string): Promise<string | undefined> {
  let dir: Dir | undefined
  let name = path.posix.basename(rel)
  try {
    try {
      dir = openDirIfThere(modcache, path.posix.dirname(rel))
    } catch (e) {
      if (!(e instanceof NotADirectory)) throw e
      dir = openDir(modcache, path.posix.dirname(e.rel))
      name = path.posix.basename(e.rel)
    }
    if (dir) await removeEntry(dir, name)
    return undefined
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const where = path.join(modcache, rel)
    if (code === 'EROFS') return `${where} cannot be removed: the module cache is on a read-only file system (EROFS); make it writable for this step, or repair it where it is written`
    if (code === 'EACCES' || code === 'EPERM') return `${where} cannot be removed: the step may not write there (${code}); the module cache may be read-only or another user's`
    return `${where} cannot be removed: ${readableError(e)}`
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
