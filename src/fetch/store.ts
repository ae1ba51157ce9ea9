// Where the fetch keeps what it verified, as go keeps its download cache: each file written
// under a new name beside its place and renamed into it, a zip's .ziphash last, and (in go's
// module cache) each zip's files written out into a new `<module>@<version>.tmp-*` directory
// and moved where go extracts the module. The module cache is shared ground, so:
// - every directory is reached from the module cache without following a link (confined.ts),
//   and a link or a file where a directory must be is removed, never written through;
// - nothing is written into a file that exists: new files only (O_EXCL), then rename, so a
//   hard link to a file outside never has that file changed;
// - a module's tree is moved into place only under go's own lock for that version (go-lock.ts)
//   and never beside go's `.partial` marker (another go extracting it); when go itself asked
//   for the zip it already holds that lock, waiting for this answer;
// - what it leaves half-done (a cancelled step included) it removes: temporary files are
//   tracked until renamed.
// Its calls are synchronous where they are single file operations: each takes microseconds on a
// local disk, while an asynchronous one wakes a thread-pool thread, which on 2 busy cores costs
// several times as much (the hashing threads need those cores).
import { randomBytes } from 'node:crypto'
import { accessSync, constants, mkdirSync, renameSync } from 'node:fs'
import path from 'node:path'
import { treePath } from '../module/vouched.ts'
import { type Dir, kindOf, lstatOf, NotADirectory, openDir, openDirAt, openBelow, openDirIfThere, readBelow, removeEntry, unlinkEntry, writeReplacing } from '../util/confined.ts'
import { takeGoLock } from '../go/go-lock.ts'
import { LOCK_WAIT_MS } from '../util/timing.ts'
import type { ExtractTarget } from './zip-extract.ts'

export interface StoreOptions {
  /** The directory above which nothing is checked: go's module cache, or a folder of the fetch's own. */
  root: string
  /** Where the files go under root, in the proxy layout (`cache/download` in go's module cache). */
  downloads: string
  /** In go's module cache: each verified zip's files are written out where go extracts them, their directories left writable or not as go would. */
  extract?: { writable: boolean }
}

/** What a file job needs of the store: where it belongs, and whether its zip is extracted. */
export interface StoredJob {
  module: string
  version: string
  kind: string
  /** go.sum's hash, for a zip's .ziphash. */
  hash?: string
  /** Under the downloads, `<escaped module>/@v/<escaped version>.<kind>`. */
  path: string
}

/** A download under way: the new file to write (and, for a zip written out, the new directory), until kept or dropped. */
export interface Pending {
  /** The file to write the bytes to: new, beside the file's place. */
  temp: string
  /** Where the zip's files are written while it is hashed, when they are. */
  tree?: ExtractTarget
  /**
   * Moves the verified file into place: first the tree (when `dirs`, the directories its
   * writing made, says it was written whole), then the file, then a zip's .ziphash. `goAsked`
   * aborts once go waits for this zip: go then holds the module's lock; `stop`, when the fetch
   * closes: the tree is not waited for. Says whether the tree was placed; the file is kept either way.
   */
  keep: (dirs: string[] | undefined, signals: { goAsked: AbortSignal; stop: AbortSignal }) => Promise<{ file: string; placed: boolean; open: () => number }>
  /** Removes what was not kept, and lets go of the directory. */
  end: () => Promise<void>
}

export class Store {
  private readonly options: StoreOptions
  /** Temporary entries not yet renamed or removed, by directory (relative to root) and name: what a cancelled step removes. */
  private readonly temporary = new Set<string>()
  private rootMade = false

  constructor(options: StoreOptions) {
    this.options = options
  }

  /** The file of `job`, when the store holds it whole (a zip whole with its .ziphash): regular files, reached without a link. */
  stored(job: StoredJob): { file: string; size: number; open: () => number } | undefined {
    const { dir, name } = this.place(job)
    let at: Dir | undefined
    try {
      at = openDirIfThere(this.options.root, dir)
    } catch {
      return undefined
    }
    if (!at) return undefined
    try {
      if (job.kind === 'zip' && !lstatOf(at.entry(`${name}hash`))?.isFile()) return undefined
      const stats = lstatOf(at.entry(name))
      return stats?.isFile() ? { file: this.shown(job), size: stats.size, open: () => this.open(job) } : undefined
    } finally {
      at.close()
    }
  }

  /** The stored file of `job` opened for reading: each directory on its way walked without a link, the file itself refused unless regular (never blocking). */
  open(job: StoredJob): number {
    const { dir, name } = this.place(job)
    return openBelow(this.options.root, path.posix.join(dir, name))
  }

  /** The stored file of `job` (a go.mod the planner reads), never through a link, at most `maxBytes`. */
  read(job: StoredJob, maxBytes: number): Buffer {
    const { dir, name } = this.place(job)
    return readBelow(this.options.root, path.posix.join(dir, name), maxBytes)
  }

  /** Starts a download of `job`: its directory made (a link in the way removed), a new name for its bytes, and a new directory for a zip's files when `extract`. */
  begin(job: StoredJob, extract: boolean): Pending {
    const { dir, name } = this.place(job)
    const at = this.openMade(dir)
    const temp = `${name}.${uniqueSuffix()}.partial`
    this.track(dir, temp)
    const tree = extract && this.options.extract && job.hash ? this.treeTarget(job) : undefined
    if (tree) {
      this.track(tree.parent, tree.name)
      // Made here, a link in the way removed: go would extract through it, should the thread that writes the files refuse it.
      this.openMade(tree.parent).close()
    }
    let kept = false
    let placed = false
    return {
      temp: at.entry(temp),
      ...(tree ? { tree } : {}),
      keep: async (dirs, signals) => {
        const whole = tree !== undefined && dirs !== undefined
        // go's lock guards the tree, and what go finds of the module with it (the zip and its .ziphash).
        const lock = whole ? await this.lock(at, name, signals) : undefined
        try {
          placed = whole && lock !== undefined && lock !== 'busy' && this.placeTree(job, tree, dirs, at, name)
          renameSync(at.entry(temp), at.entry(name))
          kept = true
          this.temporary.delete(key(dir, temp))
          // As go writes its download cache: the zip's hash last, so that go trusts the zip only whole.
          if (job.kind === 'zip' && job.hash) this.writeNew(at, dir, `${name}hash`, job.hash)
        } finally {
          if (typeof lock === 'function') lock()
        }
        return { file: this.shown(job), placed, open: () => this.open(job) }
      },
      end: async () => {
        try {
          if (!kept) unlinkEntry(at, temp)
          this.temporary.delete(key(dir, temp))
          // Left when the zip was refused, or the module was in place already: a whole module's files, removed asynchronously.
          // A removal that fails (something still writing into the tree) leaves it tracked, for
          // clear() to remove when the fetch closes; it never fails the request's caller.
          if (tree && !placed) await this.removeIn(tree.parent, tree.name).catch(() => undefined)
        } finally {
          at.close()
        }
      }
    }
  }

  /** Removes every temporary entry still there: a cancelled step leaves none. */
  async clear(): Promise<void> {
    const left = [...this.temporary]
    this.temporary.clear()
    await Promise.all(
      left.map(entry => {
        const [dir, name] = JSON.parse(entry) as [string, string]
        return this.removeIn(dir, name).catch(() => undefined)
      })
    )
  }

  /** The job's directory (relative to root) and file name. */
  private place(job: StoredJob): { dir: string; name: string } {
    return { dir: path.posix.join(this.options.downloads, path.posix.dirname(job.path)), name: path.posix.basename(job.path) }
  }

  /** The path the file is known by (to serve it): as a person reads it. */
  private shown(job: StoredJob): string {
    return path.join(this.options.root, this.options.downloads, job.path)
  }

  /** Where go extracts the job's module (`<escaped module>@<escaped version>`, beside the download cache), and a new directory beside it to write into first, named as go names its own leftovers (`<dir>.tmp-*`), which go removes when it extracts the module itself. */
  private treeTarget(job: StoredJob): ExtractTarget {
    const final = treePath(job.module, job.version)
    return { root: this.options.root, parent: path.posix.dirname(final), name: `${path.posix.basename(final)}.tmp-${uniqueSuffix()}`, prefix: `${job.module}@${job.version}/` }
  }

  /**
   * go's lock on the module version: a release function, `undefined` when no lock can be taken
   * here (no perl, Windows), or `busy` when another process held it past the bound. When go
   * itself waits for this zip, it holds the lock for us: `goAsked` aborts, and that is as good.
   */
  private async lock(at: Dir, name: string, { goAsked, stop }: { goAsked: AbortSignal; stop: AbortSignal }): Promise<(() => void) | 'busy' | 'go holds it' | undefined> {
    if (goAsked.aborted) return 'go holds it'
    const file = `${name.replace(/\.zip$/, '')}.lock`
    const locked = await takeGoLock(at.entry(file), LOCK_WAIT_MS, AbortSignal.any([goAsked, stop]))
    if (locked.kind === 'held') return locked.release
    if (locked.kind === 'busy') return goAsked.aborted ? 'go holds it' : 'busy'
    if (locked.kind === 'refused') {
      // A link, a FIFO or a directory where go keeps the lock: go would lock through it. Removed; this module is left to go.
      if (kindOf(at.entry(file)) !== 'a file') await removeEntry(at, file)
      return 'busy'
    }
    return undefined
  }

  /**
   * Moves a verified module's files into place, made read-only as go makes them unless they
   * stay writable. False when go's `.partial` marker is there (another go was extracting it),
   * or the module's directory is there already (another request's, or go's): that one stays.
   */
  private placeTree(job: StoredJob, tree: ExtractTarget, dirs: string[], download: Dir, name: string): boolean {
    if (kindOf(download.entry(`${name.replace(/\.zip$/, '')}.partial`)) !== undefined) return false
    let parent: Dir
    try {
      parent = openDir(this.options.root, tree.parent)
    } catch {
      return false
    }
    const final = path.posix.basename(treePath(job.module, job.version))
    try {
      try {
        renameSync(parent.entry(tree.name), parent.entry(final))
      } catch {
        return false
      }
      this.temporary.delete(key(tree.parent, tree.name))
      if (!(this.options.extract?.writable ?? true)) {
        for (const dir of dirs) {
          const opened = openDirAt(parent.entry(dir === '' ? final : `${final}/${dir}`))
          if (!opened) continue
          try {
            opened.chmod(opened.mode() & ~0o222)
          } finally {
            opened.close()
          }
        }
      }
      return true
    } finally {
      parent.close()
    }
  }

  /** Whether files can be kept here: their directory made (a link in the way removed), and writable. */
  writable(): boolean {
    try {
      const at = this.openMade(this.options.downloads)
      try {
        accessSync(at.path, constants.W_OK)
        return true
      } finally {
        at.close()
      }
    } catch {
      return false
    }
  }

  /** The directory `dir` under root, made where missing; a link, file or anything else in the way is removed (never followed) and a directory made instead. */
  private openMade(dir: string): Dir {
    if (!this.rootMade) {
      // The root is the runner's (GOMODCACHE) or the fetch's own: made as given.
      mkdirSync(this.options.root, { recursive: true })
      this.rootMade = true
    }
    for (let tries = 0; ; tries++) {
      try {
        return openDir(this.options.root, dir, true)
      } catch (e) {
        if (!(e instanceof NotADirectory) || tries > 8) throw e
        const parent = openDir(this.options.root, path.posix.dirname(e.rel))
        try {
          unlinkEntry(parent, path.posix.basename(e.rel))
        } finally {
          parent.close()
        }
      }
    }
  }

  /** Writes `text` as the file `name`, replacing (never writing into) what is there. */
  private writeNew(at: Dir, dir: string, name: string, text: string): void {
    const temp = `${name}.${uniqueSuffix()}.partial`
    this.track(dir, temp)
    try {
      writeReplacing(at, name, text, temp)
    } finally {
      this.temporary.delete(key(dir, temp))
    }
  }

  private track(dir: string, name: string): void {
    this.temporary.add(key(dir, name))
  }

  private async removeIn(dir: string, name: string): Promise<void> {
    let at: Dir | undefined
    try {
      at = openDirIfThere(this.options.root, dir)
    } catch {
      return
    }
    if (!at) return
    try {
      await removeEntry(at, name)
    } finally {
      at.close()
    }
  }
}

const key = (dir: string, name: string) => JSON.stringify([dir, name])

/**
 * A suffix no other name made here or by another process has: random per process (module caches
 * are shared between jobs and machines), counted within it. Random bytes for every name cost
 * more than the file operations they name.
 */
const uniqueSuffix = () => `${RUN}-${(named++).toString(36)}`
const RUN = randomBytes(6).toString('hex')
let named = 0
