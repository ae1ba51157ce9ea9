// The folder an entry is saved from and restored into. The cache service ties an entry to the
// paths it was saved with (its version hashes them), so the path must stay the same from run to
// run; but a save must hold only what this job needs (what go.sum implies, what the build used),
// and must not delete anything from a cache that other projects share. So the entry is a
// staging folder inside go's cache: a save hard-links the chosen files into it (copies them where
// the file system has no hard links), a restore unpacks into it and then moves the files it selects into go's cache where nothing is
// there yet. The folder is claimed while in use, in the name of the process using it, so that
// two jobs sharing a runner's caches do not mix their entries, and a job killed while using it
// does not keep the next ones out.
import { randomBytes } from 'node:crypto'
import { closeSync, fstatSync, lstatSync, openSync, promises as fs, readdirSync, readSync, type Stats, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import path from 'node:path'
import { CREATE_NEW, describe, type Dir, lstatOf, NotADirectory, OnAnotherFileSystem, openDir, openDirAt, openDirIfThere, openRegular, openSubdir, readRegular, removeEntry } from '../util/confined.ts'
import { cleanUpOnCancel } from '../util/process.ts'
import { isAlive, type Owner, thisProcess } from './owner.ts'

/** A claimed folder with no owner yet is being claimed this long at most; past that, its claimer died. */
const CLAIMING_MS = 60_000
/** An owner record is a short line of JSON. */
const OWNER_MAX_BYTES = 4096

export interface Staging {
  /** The entry folder's path: what the cache service knows the entry by (its version hashes the path). */
  entry: string
  /**
   * The entry folder, and where a restore downloads the archive beside it, named through the
   * staging folder held open (on Linux, its descriptor, which a child process names too): every
   * read and write of the step's, and of the restore's process, goes there. The staging folder
   * lies in the module cache, shared ground: a directory above it renamed, or swapped for a
   * link, meanwhile changes nothing of what is unpacked, checked or moved in.
   */
  held: { entry: string; archive: string }
  /** The same, for a child process: the descriptor it inherits as its descriptor 3 (none where the folder is named by its path), and the names through it. */
  child: { fd: number | undefined; entry: string; archive: string }
  release: () => Promise<void>
}

/** The descriptor number a child process inherits the staging folder as (after stdin, stdout and stderr). */
const CHILD_FD = 3

/** The folder of a staging folder `dir` that @actions/cache saves and restores. */
export const entryIn = (dir: string): string => path.join(dir, 'entry')

/**
 * Takes the staging folder at `dir`, with an empty entry folder; throws when a live process has
 * it. `root` is the runner's (the module cache, GOCACHE), `dir` a folder below it: the directories
 * between them are walked from the root without following a link and the one holding `dir` is
 * held open with it, so that the claim, a reclaim and the release name the folder through it.
 * Another user of a shared module cache who renames a directory on the way, or swaps one for a
 * link (into a mount that never answers, say), changes nothing of where they look.
 */
export async function claimStaging(dir: string, root = path.dirname(dir)): Promise<Staging> {
  const rel = path.relative(root, path.dirname(dir))
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${dir} is not below ${root}`)
  // The root is the runner's choice, reached by its path.
  await fs.mkdir(root, { recursive: true })
  // A mount on the way (another user's, on a folder of theirs) is never looked into.
  const parent = openDir(root, rel.split(path.sep).join('/'), true, (await fs.stat(root)).dev)
  const name = path.basename(dir)
  let held: Dir
  try {
    for (let tries = 0; ; tries++) {
      try {
        // Private: what is unpacked here is not yet checked.
        await fs.mkdir(parent.entry(name), { mode: 0o700 })
        break
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 1) throw e
        await reclaim(parent, name, dir)
      }
    }
    held = heldFolder(parent, name, dir)
  } catch (e) {
    parent.close()
    throw e
  }
  // Once only: a cancelled step runs it as its cleanup while the restore's or save's own finally
  // runs it too, and a second pass through the closed descriptors would name (empty, close)
  // whatever directory their numbers were given to since.
  let released: Promise<void> | undefined
  const release = () => (released ??= releaseOnce())
  const releaseOnce = async () => {
    try {
      for (const entry of await fs.readdir(held.path)) await removeEntry(held, entry)
      // The folder itself, while its name is still the one held: another's put in its place is left alone.
      const now = lstatOf(parent.entry(name))
      const own = held.stat()
      if (now?.dev === own.dev && now.ino === own.ino) await fs.rmdir(parent.entry(name)).catch(() => undefined)
    } finally {
      held.close()
      parent.close()
    }
  }
  const forget = cleanUpOnCancel(release)
  try {
    writeFileSync(held.entry('owner'), JSON.stringify(thisProcess()), { flag: 'wx' })
    await fs.mkdir(held.entry('entry'))
  } catch (e) {
    forget()
    await release()
    throw e
  }
  return {
    entry: entryIn(dir),
    held: { entry: held.entry('entry'), archive: held.entry('archive') },
    child: childNames(held),
    release: async () => {
      forget()
      await release()
    }
  }
}

/** The staging folder's names for a child process, and the descriptor it inherits for them. */
function childNames(held: Dir): Staging['child'] {
  const { inherit, path: folder } = held.inChild(CHILD_FD)
  return { fd: inherit, entry: `${folder}/entry`, archive: `${folder}/archive` }
}

/**
 * The folder `name` of `parent` just made, opened without following a link and held: refused
 * unless it is still the new one (a directory of this user's, private, empty), which no other
 * user can make. `dir` is its path, for messages.
 */
function heldFolder(parent: Dir, name: string, dir: string): Dir {
  const held = openDirAt(parent.entry(name), dir)
  if (!held) throw new Error(`${dir} was replaced as it was made`)
  const stat = held.stat()
  const uid = process.getuid?.()
  if ((uid !== undefined && stat.uid !== uid) || (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) || readdirSync(held.path).length > 0) {
    held.close()
    throw new Error(`${dir} was replaced as it was made`)
  }
  return held
}

/**
 * Takes the folder `name` of `parent` (at `dir`) away from an owner that is gone, or throws
 * naming the one that is not. The folder is first moved aside, which only one of two jobs doing
 * this at once can do, and deleted only if it still names the owner that was found gone: through
 * `parent`, never following a link in it (another user may have made the folder, and may change
 * it while it is deleted).
 */
async function reclaim(parent: Dir, name: string, dir: string): Promise<void> {
  const owner = ownerOf(parent, name)
  if (owner === 'claiming' || (owner && isAlive(owner))) {
    throw new Error(`another job on this runner is using ${dir}${owner === 'claiming' ? '' : ` (process ${owner.pid})`}`)
  }
  const aside = `${name}.${randomBytes(6).toString('hex')}.stale`
  await fs.rename(parent.entry(name), parent.entry(aside))
  if (JSON.stringify(ownerOf(parent, aside)) !== JSON.stringify(owner)) {
    // Another job reclaimed it first, and this was its new folder: it goes back.
    await fs.rename(parent.entry(aside), parent.entry(name)).catch(() => undefined)
    throw new Error(`another job on this runner is using ${dir}`)
  }
  await removeEntry(parent, aside)
}

/**
 * The recorded owner of the folder `name` of `parent`; `claiming` while a claim is under way;
 * undefined when none is recorded (a claimer that died, an older version). Another user may have
 * made the folder: its record is read only as a small regular file, never through a link, from a
 * FIFO, or from another file system (a mount on the folder that may never answer).
 */
function ownerOf(parent: Dir, name: string): Owner | 'claiming' | undefined {
  const stat = lstatOf(parent.entry(name))
  if (!stat) return undefined
  const folder = stat.isDirectory() && stat.dev === parent.stat().dev ? openDirAt(parent.entry(name)) : undefined
  try {
    if (folder && folder.stat().dev === stat.dev) return JSON.parse(readRegular(folder.entry('owner'), OWNER_MAX_BYTES).toString('utf8')) as Owner
  } catch {
    // No record, or not one: judged by the folder's age.
  } finally {
    folder?.close()
  }
  return Date.now() - stat.mtimeMs < CLAIMING_MS ? 'claiming' : undefined
}

/** Why the file `rel` under `root` may not be saved or restored, beyond what every file is checked for (admitted by its content); undefined when it may. */
export type Admit = (rel: string, root: string, stat: Stats) => Promise<string | undefined>

export interface Staged {
  bytes: number
  /** Paths (relative to the root) that exist but were not staged, with the reason. */
  skipped: { path: string; why: string }[]
}

/**
 * Links each path (a file or a tree, relative to root) that exists into the entry folder. Only
 * files whose contents are the cache's own are staged: regular files with no other name (a hard
 * link shares its contents with a file elsewhere), on the root's file system, reached through
 * real directories only; a tree with anything else in it is not staged at all. Every directory
 * is walked without a link and read through its descriptor (confined.ts): a link another user of
 * the module cache swaps in on the way meanwhile is never looked through, so it can neither add
 * a file from elsewhere nor hold the save in a mount that never answers.
 */
export async function stage(root: string, entry: string, paths: string[], admit?: Admit): Promise<Staged> {
  const staged: Staged = { bytes: 0, skipped: [] }
  const { dev } = await fs.stat(root)
  for (const rel of paths) {
    const found = within(root, rel, dev)
    if (found === undefined) continue
    if (typeof found === 'string') {
      staged.skipped.push({ path: rel, why: found })
      continue
    }
    let files: TreeFile[] | string
    try {
      files = found.tree ? await treeFiles(found.tree, rel, dev) : [{ rel, stat: found.stat }]
    } finally {
      found.tree?.close()
    }
    const problem = typeof files === 'string' ? files : await firstProblem(files, root, dev, admit)
    if (problem !== undefined) {
      staged.skipped.push({ path: rel, why: problem })
      continue
    }
    for (const file of files as TreeFile[]) {
      const to = path.join(entry, file.rel)
      await fs.mkdir(path.dirname(to), { recursive: true })
      if (!(await linkChecked(root, file, to))) {
        staged.skipped.push({ path: rel, why: `${file.rel} changed after it was checked` })
        continue
      }
      staged.bytes += file.stat.size
    }
  }
  return staged
}

/**
 * Links (or copies) the file checked as `file` to `to`, naming it through its directory reached
 * without a link, and keeps the result only when it is the very file that was checked.
 */
async function linkChecked(root: string, file: TreeFile, to: string): Promise<boolean> {
  let dir: Dir
  try {
    // On the checked file's file system only: another directory renamed in since the checks may
    // have a mount on it, and nothing is looked up in one.
    dir = openDir(root, path.posix.dirname(file.rel), false, file.stat.dev)
  } catch {
    return false
  }
  // The very file checked: an inode number alone is soon given to a file made in its place.
  const same = (s: Stats) => s.isFile() && s.dev === file.stat.dev && s.ino === file.stat.ino && s.size === file.stat.size && s.mtimeMs === file.stat.mtimeMs
  try {
    const from = dir.entry(path.posix.basename(file.rel))
    try {
      // link(2) never follows its last component; the directory is the one held open.
      await fs.link(from, to)
    } catch {
      // No hard links here: copied from a descriptor opened without following or blocking.
      let fd: number
      try {
        fd = openRegular(from)
      } catch {
        return false
      }
      try {
        if (!same(fstatSync(fd))) return false
        const out = openSync(to, CREATE_NEW, 0o644)
        try {
          const buffer = Buffer.allocUnsafe(1 << 16)
          for (let at = 0, n; (n = readSync(fd, buffer, 0, buffer.length, at)) > 0; at += n) writeSync(out, buffer, 0, n)
        } finally {
          closeSync(out)
        }
        return true
      } finally {
        closeSync(fd)
      }
    }
    // Two names, the cache's and the entry's: a third would be a file elsewhere hard-linked in meanwhile.
    const linked = lstatSync(to)
    if (same(linked) && linked.nlink === 2) return true
    unlinkSync(to)
    return false
  } finally {
    dir.close()
  }
}

interface TreeFile {
  rel: string
  stat: Stats
}

/**
 * The path's own lstat (and, for a directory, the directory opened), when every directory on the
 * way from root is a real one on root's file system; why not when one is not; undefined when the
 * path does not exist.
 */
function within(root: string, rel: string, dev: number): { stat: Stats; tree?: Dir } | string | undefined {
  const dir = path.posix.dirname(rel)
  const name = path.posix.basename(rel)
  try {
    // No link followed, and nothing looked up in another mount (one that never answers, mounted
    // on a directory of the shared module cache): openDir's walk on root's file system.
    const parent = openDirIfThere(root, dir === '.' ? '' : dir, dev)
    if (!parent) return undefined
    try {
      const stat = lstatOf(parent.entry(name))
      if (!stat?.isDirectory()) return stat && { stat }
      return { stat, tree: openSubdir(parent, name, rel, dev) }
    } finally {
      parent.close()
    }
  } catch (e) {
    if (e instanceof NotADirectory) return `${e.rel} is ${e.kind}`
    if (e instanceof OnAnotherFileSystem) return e.message
    // Removed since it was looked at (another go, another user).
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return `${rel} changed while it was read`
    throw e
  }
}

/** Every file under the open directory `dir` (the tree `rel`), or why the tree is not the cache's own: a link, a FIFO, another file system inside. */
async function treeFiles(dir: Dir, rel: string, dev: number): Promise<TreeFile[] | string> {
  const files: TreeFile[] = []
  for (const name of await fs.readdir(dir.path)) {
    const stat = lstatOf(dir.entry(name))
    const childRel = `${rel}/${name}`
    // Removed since the listing (another go, another user): the tree is not what was listed.
    if (!stat) return `${childRel} changed while it was read`
    if (stat.dev !== dev) return `${childRel} is on another file system`
    if (!stat.isDirectory()) {
      files.push({ rel: childRel, stat })
      continue
    }
    let inner: Dir
    try {
      inner = openSubdir(dir, name, childRel, dev)
    } catch (e) {
      if (e instanceof OnAnotherFileSystem) return e.message
      if (e instanceof NotADirectory || (e as NodeJS.ErrnoException).code === 'ENOENT') return `${childRel} changed while it was read`
      throw e
    }
    try {
      const below = await treeFiles(inner, childRel, dev)
      if (typeof below === 'string') return below
      files.push(...below)
    } finally {
      inner.close()
    }
  }
  return files
}

async function firstProblem(files: TreeFile[], root: string, dev: number, admit?: Admit): Promise<string | undefined> {
  for (const { rel, stat } of files) {
    if (!stat.isFile()) return `${rel} is ${describe(stat)}`
    if (stat.nlink !== 1) return `${rel} is a hard link (${stat.nlink} names): its contents are not only the cache’s`
    if (stat.dev !== dev) return `${rel} is on another file system`
    const why = await admit?.(rel, root, stat)
    if (why !== undefined) return `${rel}: ${why}`
  }
  return undefined
}

/**
 * Moves the paths (files or trees, relative to the entry folder) from a restore under root,
 * each only where nothing is there yet and only through real directories; returns those moved.
 * The entry folder is held open (its ancestors are the shared module cache's), and each path's
 * directory is made where missing and held open too (confined.ts): the moves and the changes of
 * mode name their targets through them, so a link another user of the module cache puts on the
 * way meanwhile is never followed, nothing moves outside the module cache, and no directory
 * elsewhere is made writable.
 */
export async function unstage(entry: string, root: string, paths: string[]): Promise<string[]> {
  const moved: string[] = []
  const source = openDirAt(entry)
  if (!source) return moved
  try {
    for (const rel of paths) {
      const dir = directoryFor(root, rel)
      if (!dir) continue
      try {
        const name = path.posix.basename(rel)
        if (lstatOf(dir.entry(name))) continue
        try {
          await fs.rename(source.entry(rel), dir.entry(name))
        } catch (e) {
          // Something made in its place meanwhile (another go): this path only is not moved in.
          if (['EEXIST', 'ENOTEMPTY', 'EISDIR', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) continue
          throw e
        }
        moved.push(rel)
      } finally {
        dir.close()
      }
    }
  } finally {
    source.close()
  }
  return moved
}

/**
 * The directory `rel` moves into, made where missing, each directory on the way below the root
 * made writable where it is not (go leaves module directories read-only; a directory is made,
 * and a rename done, only in a writable one), through its own descriptor; undefined when one on
 * the way is not a real directory. The root itself is the runner's, left as it is.
 */
function directoryFor(root: string, rel: string): Dir | undefined {
  const names = rel.split('/').slice(0, -1)
  try {
    for (let depth = 1; depth <= names.length; depth++) {
      const at = openDirIfThere(root, names.slice(0, depth).join('/'))
      if (!at) break
      try {
        const mode = at.mode()
        if ((mode & 0o200) === 0) at.chmod(mode | 0o200)
      } finally {
        at.close()
      }
    }
    return openDir(root, names.join('/'), true)
  } catch (e) {
    if (e instanceof NotADirectory) return undefined
    throw e
  }
}
