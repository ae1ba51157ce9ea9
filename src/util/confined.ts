// File operations under a root (go's module cache) that never follow a link and never open
// anything that can block. A module cache is shared ground: a restored entry, a self-hosted
// runner's leftovers or another user of the runner can leave a symlink where go keeps a
// directory, a FIFO or a device where it keeps a file. go follows them; the action does not.
// Each directory is opened from the root one component at a time with O_DIRECTORY|O_NOFOLLOW
// (on Linux, from the deepest directory on the way that an earlier walk kept open: see
// openFromKept), and held open; on Linux every operation then names its target through that
// descriptor (/proc/<pid>/fd/<fd>/<name>, which the kernel resolves to the directory that was
// opened, whatever has been renamed or swapped since), so a link put in place after the check is
// never followed: openat(2) without openat, which node lacks. Files are opened with
// O_NOFOLLOW|O_NONBLOCK and judged by fstat on the descriptor, never stat-then-open by name.
// Where /proc is missing (macOS), the path checked component by component is used instead: a
// process that can write the module cache could swap a link in between the check and the use.
import { chmodSync, closeSync, constants, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync, readSync, renameSync, type Stats, unlinkSync, writeSync } from 'node:fs'
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises'
import path from 'node:path'
import { isMainThread } from 'node:worker_threads'

// Windows has neither (nor symlinks a user makes without privileges): 0 leaves the flag out.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0
const O_DIRECTORY = constants.O_DIRECTORY ?? 0
const O_NONBLOCK = constants.O_NONBLOCK ?? 0
const DIRECTORY = constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK
/** How a file is opened for reading: never through a link, never waiting for a FIFO's writer or a device. */
export const READ_NO_FOLLOW = constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK
/** How a new file is made: only where nothing (not even a dangling link) has the name. */
export const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW

const WINDOWS = process.platform === 'win32'
/** This process's number as /proc names it: in a PID namespace that kept its parent's /proc, process.pid is another process's there. */
const procPid = process.platform === 'linux' ? procSelf() : undefined
/** Whether /proc/<pid>/fd names open directories here (Linux). */
const byDescriptor = procPid !== undefined && isDirectory(`/proc/${procPid}/fd`)

function procSelf(): string | undefined {
  try {
    return readlinkSync('/proc/self')
  } catch {
    return undefined
  }
}

function isDirectory(dir: string): boolean {
  return lstatOf(dir)?.isDirectory() ?? false
}

/**
 * An open directory reached without following a link. On Windows, where node cannot open a
 * directory, it holds no descriptor: it was checked by lstat (which sees junctions as links),
 * and is named by its path.
 */
export class Dir {
  readonly fd: number | undefined
  /** What names the directory for any call, in this process, its threads or a child: its descriptor on Linux, the checked path elsewhere. */
  readonly path: string
  /** Its path as a person reads it (for messages). */
  readonly shown: string

  constructor(fd: number | undefined, shown: string) {
    this.fd = fd
    this.shown = shown
    this.path = byDescriptor && fd !== undefined ? `/proc/${procPid}/fd/${fd}` : shown
    if (byDescriptor && fd !== undefined) shownByFd.set(fd, shown)
  }

  /**
   * How a child process names the directory: through its descriptor, which the child inherits as
   * `childFd` and names by its own /proc/self/fd (a process may always read its own; another's
   * /proc/<pid>/fd it may not, where the step's process is not dumpable); by the checked path
   * where there is no descriptor to name it by, and nothing to inherit.
   */
  inChild(childFd: number): { inherit?: number; path: string } {
    return byDescriptor && this.fd !== undefined ? { inherit: this.fd, path: `/proc/self/fd/${childFd}` } : { path: this.shown }
  }

  /** The path of an entry of this directory (a name, or a relative path under it). */
  entry(name: string): string {
    return `${this.path}/${name}`
  }

  /** Its own stat, from its descriptor (an lstat of `path` on Linux would be of /proc's link). */
  stat(): Stats {
    return this.fd === undefined ? lstatSync(this.path) : fstatSync(this.fd)
  }

  /** Its mode bits, from its descriptor. */
  mode(): number {
    return this.stat().mode
  }

  /** Changes its mode through its descriptor: never what a link put in its place points to. */
  chmod(mode: number): void {
    if (this.fd === undefined) chmodSync(this.path, mode)
    else fchmodSync(this.fd, mode)
  }

  close(): void {
    if (this.fd === undefined) return
    shownByFd.delete(this.fd)
    closeSync(this.fd)
  }
}

/** The path each open directory's descriptor stands for, by descriptor: for messages. */
const shownByFd = new Map<number, string>()

/**
 * An error's words as a person reads them: a directory named by its descriptor
 * (`/proc/<pid>/fd/<fd>`, how the walks reach it) named by its path instead, while it is open.
 */
export function readableError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e)
  if (!byDescriptor) return message
  return message.replace(new RegExp(`/proc/${procPid}/fd/(\\d+)`, 'g'), (found, fd: string) => shownByFd.get(Number(fd)) ?? found)
}

/** A component of a path that is not a real directory (a link, a file, a FIFO…), where a directory must be. */
export class NotADirectory extends Error {
  /** Relative to the root, with `/`. */
  readonly rel: string
  readonly kind: string

  constructor(rel: string, kind: string) {
    super(`${rel} is ${kind}, not a directory`)
    this.name = 'NotADirectory'
    this.rel = rel
    this.kind = kind
  }
}

/** The entry itself, never what a link points to; undefined when there is none. */
export function lstatOf(file: string): Stats | undefined {
  try {
    return lstatSync(file)
  } catch {
    return undefined
  }
}

/** What an entry is, in words (`a symlink`, `a FIFO`…), never following it; undefined when there is none. */
export function kindOf(file: string): string | undefined {
  const stats = lstatOf(file)
  return stats && describe(stats)
}

/** What an entry is, in words, from its lstat. */
export function describe(stats: Stats): string {
  if (stats.isFile()) return 'a file'
  if (stats.isDirectory()) return 'a directory'
  if (stats.isSymbolicLink()) return 'a symlink'
  if (stats.isFIFO()) return 'a FIFO'
  if (stats.isSocket()) return 'a socket'
  return 'a device'
}

/**
 * The directory `rel` (with `/`) under `root`, each component opened without following a link.
 * With `create`, missing components are made as go makes them (0777 less the umask). Throws
 * NotADirectory naming the first component that is something else. With `device`, each
 * component is also looked at before it is opened, and throws OnAnotherFileSystem where it lies
 * on another: nothing is looked up in another mount (one that never answers, mounted on a
 * directory of the shared module cache). The root itself is the runner's choice and may be a
 * link. What it returns is the caller's, to close.
 */
export function openDir(root: string, rel: string, create = false, device?: number): Dir {
  const names = rel.split('/').filter(n => n !== '')
  // The kept directories were walked without a device to stay on: such a walk opens its own.
  if (byDescriptor && isMainThread && names.length > 0 && device === undefined) return openFromKept(root, names, create)
  return walk(new Dir(WINDOWS ? undefined : openSync(root, constants.O_RDONLY | O_DIRECTORY), root), true, names, 0, create, undefined, device)
}

/** The directory `name` of `dir` (the path `rel` under the root), opened as openDir opens each component: never through a link, and with `device`, only on it. */
export function openSubdir(dir: Dir, name: string, rel: string, device?: number): Dir {
  return openChild(dir, name, false, () => rel, device)
}

/** The rest of `names` from `from` on, each opened from the one before starting at `dir` (closed on the way when `owned`); the last is returned, opened anew. */
function walk(dir: Dir, owned: boolean, names: string[], from: number, create: boolean, keep?: (at: number, dir: Dir) => boolean, device?: number): Dir {
  try {
    for (let i = from; i < names.length; i++) {
      const next = openChild(dir, names[i] as string, create, () => names.slice(0, i + 1).join('/'), device)
      if (owned) dir.close()
      dir = next
      // A directory on the way that is kept is the cache's from now on.
      owned = i === names.length - 1 || !keep?.(i + 1, next)
    }
    return dir
  } catch (e) {
    if (owned) dir.close()
    throw e
  }
}

// Directories on the way, kept open between calls (Linux). A walk of seven components costs
// seven opens through /proc (about 33 µs here); most calls ask for a directory beside one asked
// for before, so the walk starts from the deepest directory on its way that is kept, and opens
// only the rest. A kept directory is used again only while the kernel still names it (the
// text of /proc/self/fd/<fd>, read as bytes, which looks nothing up) by the path it had when
// the walk found it: the root's own name followed by the components walked, so every component
// on it is a real directory still. One renamed elsewhere, removed, or reached by the root's link
// no longer is let go and walked again. At most KEEP_AT_MOST descriptors are kept, the least
// recently used let go first. The directory asked for is always opened anew: it is the caller's.
// Only the main thread keeps any: a hashing thread walks once per zip, and each long-lived one
// would hold as many descriptors again.
const KEEP_AT_MOST = 64
/** By `<root>\0<rel>`: the descriptor, and the name it must still have. */
const kept = new Map<string, Kept>()
/** A kept descriptor, the name it must still have, and the directory it is (so that a number closed elsewhere and reused is never closed here). */
type Kept = { fd: number; name: Buffer; dev: number; ino: number }

/** Closes a kept descriptor only while it is still the directory kept: a number something else closed and got again is not this cache's to close. */
function release(entry: Kept): void {
  let now: Stats | undefined
  try {
    now = fstatSync(entry.fd)
  } catch {
    // Closed elsewhere already: nothing of ours to close.
  }
  if (now?.dev === entry.dev && now.ino === entry.ino) closeSync(entry.fd)
}
const keyOf = (root: string, names: string[], depth: number) => `${root}\0${names.slice(0, depth).join('/')}`

function openFromKept(root: string, names: string[], create: boolean): Dir {
  // The deepest kept directory on the way, checked; the root is checked only when walked from:
  // a directory below it still named as when it was kept is under the root as it was then.
  let from = names.length - 1
  let fd: number | undefined
  for (; from > 0 && fd === undefined; from--) fd = takeKept(keyOf(root, names, from))
  if (fd !== undefined) from++
  const rootKey = keyOf(root, names, 0)
  if (fd === undefined) {
    fd = takeKept(rootKey)
    if (fd === undefined) {
      const opened = openSync(root, constants.O_RDONLY | O_DIRECTORY)
      const name = kernelName(opened)
      if (!name || !keep(rootKey, opened, name)) return walk(new Dir(opened, root), true, names, 0, create)
      fd = opened
    }
  }
  // A root let go since (least used) leaves nothing to name new directories by: they are walked, not kept.
  const rootName = kept.get(rootKey)?.name
  const expected = (depth: number) => rootName && Buffer.concat([rootName, Buffer.from(`${rootName.at(-1) === 0x2f ? '' : '/'}${names.slice(0, depth).join('/')}`)])
  return walk(new Dir(fd, path.join(root, ...names.slice(0, from))), false, names, from, create, (depth, dir) => {
    const name = expected(depth)
    return name !== undefined && keep(keyOf(root, names, depth), dir.fd as number, name)
  })
}

/** The kernel's name for an open descriptor, as bytes; undefined when it has none to give. */
function kernelName(fd: number): Buffer | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`, { encoding: 'buffer' })
  } catch {
    return undefined
  }
}

/** The kept directory `key`'s descriptor while the kernel names it as when it was kept; else it is let go. */
function takeKept(key: string): number | undefined {
  const entry = kept.get(key)
  if (!entry) return undefined
  kept.delete(key)
  if (!kernelName(entry.fd)?.equals(entry.name)) {
    release(entry)
    return undefined
  }
  // Last in the map: the most recently used.
  kept.set(key, entry)
  return entry.fd
}

/** Keeps `fd` as `key` when the kernel names it `name` now; false leaves it the caller's. */
function keep(key: string, fd: number, name: Buffer): boolean {
  if (!kernelName(fd)?.equals(name)) return false
  const before = kept.get(key)
  if (before) release(before)
  kept.delete(key)
  const { dev, ino } = fstatSync(fd)
  kept.set(key, { fd, name, dev, ino })
  if (kept.size > KEEP_AT_MOST) {
    const [oldest, entry] = kept.entries().next().value as [string, Kept]
    kept.delete(oldest)
    release(entry)
  }
  return true
}

function openChild(dir: Dir, name: string, create: boolean, rel: () => string, device?: number): Dir {
  const shown = path.join(dir.shown, name)
  for (let tries = 0; ; tries++) {
    try {
      if (device === undefined) return openDirectory(dir.entry(name), shown)
      // Looked at first: the open of another mount's root may wait for good. Then what was
      // opened, which may be a directory swapped in since the look.
      const seen = lstatOf(dir.entry(name))
      if (seen?.isDirectory() && seen.dev !== device) throw new OnAnotherFileSystem(rel())
      const opened = openDirectory(dir.entry(name), shown)
      if (opened.stat().dev === device) return opened
      opened.close()
      throw new OnAnotherFileSystem(rel())
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT' && create && tries === 0) {
        try {
          mkdirSync(dir.entry(name), 0o777)
        } catch (made) {
          // Made meanwhile by someone else: opened (and judged) as any other.
          if ((made as NodeJS.ErrnoException).code !== 'EEXIST') throw made
        }
        continue
      }
      if (code === 'ENOTDIR' || code === 'ELOOP') throw new NotADirectory(rel(), kindOf(dir.entry(name)) ?? 'gone')
      throw e
    }
  }
}

/** The directory `rel` under root, or undefined when a component is missing; NotADirectory and OnAnotherFileSystem as openDir. */
export function openDirIfThere(root: string, rel: string, device?: number): Dir | undefined {
  try {
    return openDir(root, rel, false, device)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
}

/** A directory on the way that lies on another file system than the walk must stay on. */
export class OnAnotherFileSystem extends Error {
  /** Relative to the root, with `/`. */
  readonly rel: string

  constructor(rel: string) {
    super(`${rel} is on another file system`)
    this.name = 'OnAnotherFileSystem'
    this.rel = rel
  }
}

/** A regular file's contents, at most `maxBytes`; throws (naming what it is) for anything else. */
export function readRegular(file: string, maxBytes: number): Buffer {
  return readOpened(openRegular(file), maxBytes)
}

/** A descriptor of the regular file `rel` (with `/`) under `root`: each directory on its way walked without a link (with `device`, only on it), the file refused unless regular (never blocking). */
export function openBelow(root: string, rel: string, device?: number): number {
  const at = openDir(root, path.posix.dirname(rel), false, device)
  try {
    return openRegular(at.entry(path.posix.basename(rel)))
  } finally {
    at.close()
  }
}

/** The regular file `rel` (with `/`) under `root`, reached through real directories only (with `device`, only on it), at most `maxBytes`. */
export function readBelow(root: string, rel: string, maxBytes: number, device?: number): Buffer {
  return readOpened(openBelow(root, rel, device), maxBytes)
}

/** The contents of the regular file open at `fd` (from openRegular, or a Store's open), at most `maxBytes`; `fd` is closed. */
export function readOpened(fd: number, maxBytes: number): Buffer {
  try {
    const { size } = fstatSync(fd)
    if (size > maxBytes) throw new Error(`larger than ${maxBytes} bytes`)
    const buffer = Buffer.alloc(size)
    let done = 0
    while (done < size) {
      const n = readSync(fd, buffer, done, size - done, done)
      if (n === 0) break
      done += n
    }
    return buffer.subarray(0, done)
  } finally {
    closeSync(fd)
  }
}

/** A descriptor of the regular file at `file`, opened without following a link or blocking; throws, naming what it is, for anything else. */
export function openRegular(file: string): number {
  let fd: number
  try {
    fd = openSync(file, READ_NO_FOLLOW)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new Error('a symlink, not a regular file', { cause: e })
    throw e
  }
  const stats = fstatSync(fd)
  if (!stats.isFile()) {
    closeSync(fd)
    throw new Error(`${describe(stats)}, not a regular file`)
  }
  return fd
}

/** The directory at `file` opened without following a link (nor a link above it on Linux, when `file` is a Dir's entry); undefined when it is not a directory. */
export function openDirAt(file: string, shown = file): Dir | undefined {
  try {
    return openDirectory(file, shown)
  } catch {
    return undefined
  }
}

/** Opens the directory at `file`, its last component not followed; throws ENOTDIR or ELOOP (as open(2) does) for anything else. */
function openDirectory(file: string, shown: string): Dir {
  if (!WINDOWS) return new Dir(openSync(file, DIRECTORY), shown)
  const stats = lstatSync(file)
  if (!stats.isDirectory()) throw Object.assign(new Error(`${file} is not a directory`), { code: stats.isSymbolicLink() ? 'ELOOP' : 'ENOTDIR' })
  return new Dir(undefined, shown)
}

/** Removes the entry `name` of `dir`, whatever it is, never following a link: a directory with everything under it (made writable first, as go leaves trees read-only). */
export async function removeEntry(dir: Dir, name: string): Promise<void> {
  const target = dir.entry(name)
  const stats = await lstat(target).catch(() => undefined)
  if (!stats) return
  const inner = stats.isDirectory() ? openDirAt(target, path.join(dir.shown, name)) : undefined
  // Not a directory, or replaced by something else since the lstat: removed as what it is now.
  if (!inner) return unlink(target).catch(ignoreGone)
  try {
    if ((stats.mode & 0o700) !== 0o700) inner.chmod(stats.mode | 0o700)
    for (const child of await readdir(inner.path)) await removeEntry(inner, child)
  } finally {
    inner.close()
  }
  await rmdir(target).catch(ignoreGone)
}

function ignoreGone(e: NodeJS.ErrnoException): void {
  if (e.code !== 'ENOENT') throw e
}

/**
 * Writes `text` into the new file `temp` of `dir`, then renames it to `name`: whatever was
 * there (a hard link to a file elsewhere, a link) is replaced, never written into or through.
 */
export function writeReplacing(dir: Dir, name: string, text: string, temp: string): void {
  try {
    const fd = openSync(dir.entry(temp), CREATE_NEW, 0o666)
    try {
      writeSync(fd, text)
    } finally {
      closeSync(fd)
    }
    renameSync(dir.entry(temp), dir.entry(name))
  } catch (e) {
    unlinkEntry(dir, temp)
    throw e
  }
}

/** Removes the entry `name` of `dir` when it is not a directory (a file, a link, a FIFO…), never following it. */
export function unlinkEntry(dir: Dir, name: string): void {
  try {
    unlinkSync(dir.entry(name))
  } catch (e) {
    ignoreGone(e as NodeJS.ErrnoException)
  }
}
