// A module zip's files written out while the zip is hashed, so that the files are inflated once,
// not twice (go inflates every file to hash a zip it downloads, then again to extract it). They
// go into a new directory beside go's own one for the module, reached from the module cache
// without following a link, which the fetch moves into place only once the hash matched go.sum
// (store.ts): what go finds there is what go's own extraction
// (x/mod's zip.Unzip) would have written: each file of the zip, read-only (0444), under
// directories go makes read-only afterwards unless -modcacherw. A zip go's checks could refuse
// (a name outside `<module>@<version>/`, not clean, not a file name go takes, colliding with
// another when case is ignored, a go.mod below the root) is only hashed: go extracts it, and
// says what is wrong.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import path from 'node:path'
import { elementProblem } from '../module/elements.ts'
import { MAX_BYTES } from '../module/limits.ts'
import { CREATE_NEW, type Dir, openDir, openDirAt } from '../util/confined.ts'

/**
 * Where a zip's files go: a new directory `name` in the directory `parent` (relative to `root`,
 * go's module cache, with `/`), and the `<module>@<version>/` prefix of their names in the zip.
 */
export interface ExtractTarget {
  root: string
  parent: string
  name: string
  prefix: string
}

/**
 * Whether go's checks (x/mod's zip.CheckZip, which its extraction runs) take every entry of the
 * zip: then its files are written out as it is hashed. Stricter than go where matching it would
 * mean copying Unicode's tables: a name with anything but go's ASCII file-name characters is
 * left to go (go takes letters of any script, and folds case as Unicode's simple folding does,
 * not as toLowerCase). A go.mod or LICENSE of more than 16 MiB (x/mod's zip.MaxGoMod and
 * MaxLICENSE) is left to go to refuse. Only the names' folded forms are kept while it looks,
 * never a list of paths: a module of tens of thousands of files is hashed and written with
 * little more than its zip's directory in memory. The property test in module-rules.test.ts
 * holds it against CheckZip itself.
 */
export function extractable(entries: Iterable<{ name: string; size: number }>, prefix: string): boolean {
  const files = new Set<string>()
  /** Each directory seen, by its folded name: as it was spelled. Two spellings collide in go. */
  const dirs = new Map<string, string>()
  for (const { name, size } of entries) {
    if (!name.startsWith(prefix)) return false
    const rel = name.slice(prefix.length)
    // The module's own directory, as go skips it: `<prefix>/` is a directory with no name, which go refuses.
    if (rel === '') continue
    const isDir = rel.endsWith('/')
    const clean = isDir ? rel.slice(0, -1) : rel
    if (!isFilePath(clean)) return false
    // ASCII only, so the folded name is as long as the name: a directory's spelling is the name cut where its folded form is.
    const folded = clean.toLowerCase()
    if (isDir) {
      if (files.has(folded)) return false
    } else {
      if (files.has(folded) || dirs.has(folded)) return false
      // go.mod is read from the module's root only, and spelled so.
      if (clean.split('/').some((s, i) => s.toLowerCase() === 'go.mod' && (i > 0 || s !== 'go.mod'))) return false
      if ((clean === 'go.mod' || clean === 'LICENSE') && size > MAX_BYTES.mod) return false
      files.add(folded)
    }
    // Each directory above it, from the nearest up, until one already seen: those above that one were seen with it, spelled alike.
    for (let end = isDir ? folded.length : folded.lastIndexOf('/'); end > 0; end = folded.lastIndexOf('/', end - 1)) {
      const parent = folded.slice(0, end)
      if (files.has(parent)) return false
      const spelled = dirs.get(parent)
      if (spelled !== undefined) {
        if (spelled !== clean.slice(0, end)) return false
        break
      }
      dirs.set(parent, clean.slice(0, end))
    }
  }
  return true
}

/** An entry's path under the module's directory, for a zip extractable() took; undefined for a directory entry: nothing to write. */
export function extractionPath(name: string, prefix: string): string | undefined {
  const rel = name.slice(prefix.length)
  return rel === '' || rel.endsWith('/') ? undefined : rel
}

/**
 * Relative, slash-separated, each element one go takes as a file name (go's CheckFilePath: its
 * characters, no trailing dot, no name Windows reserves), in ASCII alone.
 */
function isFilePath(rel: string): boolean {
  return rel.split('/').every(elem => elementProblem(elem, 'file') === undefined)
}

/**
 * Writes files under a new directory, as go's extraction does; remembers the directories it made.
 * Writing is what go would do anyway: when it fails (a full disk, the directory removed, a link
 * where a directory of the module cache should be), the writer stops and says so, and the zip
 * is only hashed. Everything is written through the new directory's descriptor: what is above
 * it is never looked up again, and in it only this writer makes anything (files are made new,
 * never opened through a link).
 */
export class TreeWriter {
  private root: Dir | undefined
  private readonly made = new Set<string>()
  private fd: number | undefined
  /** Why writing stopped, once it did. */
  failed: string | undefined

  constructor(target: ExtractTarget) {
    this.attempt(() => {
      const parent = openDir(target.root, target.parent, true)
      try {
        mkdirSync(parent.entry(target.name), 0o777)
        this.root = openDirAt(parent.entry(target.name), path.join(parent.shown, target.name))
      } finally {
        parent.close()
      }
      if (!this.root) throw new Error(`${target.name} was replaced as it was made`)
      this.made.add('')
    })
  }

  /** Starts the file at `rel`; it must not exist. */
  open(rel: string): void {
    this.attempt(() => {
      const parent = path.posix.dirname(rel)
      const root = this.root as Dir
      if (parent !== '.' && !this.made.has(parent)) {
        mkdirSync(root.entry(parent), { recursive: true, mode: 0o777 })
        for (let p = parent; p !== '.' && !this.made.has(p); p = path.posix.dirname(p)) this.made.add(p)
      }
      this.fd = openSync(root.entry(rel), CREATE_NEW, 0o444)
    })
  }

  write(chunk: Buffer): void {
    if (this.fd === undefined) return
    const fd = this.fd
    this.attempt(() => {
      for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at)
    })
  }

  close(): void {
    const fd = this.fd
    this.fd = undefined
    if (fd !== undefined) this.attempt(() => closeSync(fd))
  }

  /** Done writing: lets go of the directory. */
  end(): void {
    this.close()
    this.root?.close()
    this.root = undefined
  }

  /** The directories made, relative to the root ('' for the root), deepest first: the order to make them read-only in. */
  dirs(): string[] {
    const depth = (p: string) => (p === '' ? 0 : p.split('/').length)
    return [...this.made].sort((a, b) => depth(b) - depth(a))
  }

  private attempt(work: () => void): void {
    if (this.failed !== undefined) return
    try {
      work()
    } catch (e) {
      this.failed = (e as Error).message
      if (this.fd !== undefined) {
        const fd = this.fd
        this.fd = undefined
        try {
          closeSync(fd)
        } catch {
          // Already unusable.
        }
      }
    }
  }
}
