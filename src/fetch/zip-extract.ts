// A module zip's files written out while the zip is hashed, so that the files are inflated once,
// not twice (go inflates every file to hash a zip it downloads, then again to extract it). They
// go into a directory beside go's own one for the module, which the fetch moves into place only
// once the hash matched go.sum (fetcher.ts): what go finds there is what go's own extraction
// (x/mod's zip.Unzip) would have written: each file of the zip, read-only (0444), under
// directories go makes read-only afterwards unless -modcacherw. A zip go's checks could refuse
// (a name outside `<module>@<version>/`, not clean, colliding with another when case is
// ignored, a go.mod below the root) is only hashed: go extracts it, and says what is wrong.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import path from 'node:path'

/** Where a zip's files go: a new directory, and the `<module>@<version>/` prefix of their names in the zip. */
export interface ExtractTarget {
  dir: string
  prefix: string
}

/**
 * Each entry's path under the module's directory (undefined: a directory entry, nothing to
 * write), or undefined for the whole zip when go's checks might refuse it.
 */
export function extractionPaths(names: string[], prefix: string): (string | undefined)[] | undefined {
  const files = new Set<string>()
  const dirs = new Set<string>()
  const paths: (string | undefined)[] = []
  for (const name of names) {
    if (!name.startsWith(prefix)) return undefined
    const rel = name.slice(prefix.length)
    const isDir = rel === '' || rel.endsWith('/')
    const clean = isDir ? rel.slice(0, -1) : rel
    if (clean !== '' && !isCleanPath(clean)) return undefined
    const segments = clean === '' ? [] : clean.split('/')
    const folded = clean.toLowerCase()
    if (isDir) {
      if (files.has(folded)) return undefined
      paths.push(undefined)
    } else {
      if (files.has(folded) || dirs.has(folded)) return undefined
      // go.mod is read from the module's root only, and spelled so.
      if (segments.some((s, i) => s.toLowerCase() === 'go.mod' && (i > 0 || s !== 'go.mod'))) return undefined
      files.add(folded)
      paths.push(clean)
    }
    for (let i = 1; i < segments.length + (isDir ? 1 : 0); i++) {
      const parent = segments.slice(0, i).join('/').toLowerCase()
      if (files.has(parent)) return undefined
      dirs.add(parent)
    }
  }
  return paths
}

/** Slash-separated, relative, without empty, `.` or `..` segments, backslashes or NULs: a name every system writes where it says. */
function isCleanPath(rel: string): boolean {
  if (rel.startsWith('/') || rel.includes('\\') || rel.includes('\0')) return false
  return rel.split('/').every(s => s !== '' && s !== '.' && s !== '..')
}

/**
 * Writes files under a new directory, as go's extraction does; remembers the directories it made.
 * Writing is what go would do anyway: when it fails (a full disk, the directory removed), the
 * writer stops and says so, and the zip is only hashed.
 */
export class TreeWriter {
  private readonly root: string
  private readonly made = new Set<string>()
  private fd: number | undefined
  /** Why writing stopped, once it did. */
  failed: string | undefined

  constructor(root: string) {
    this.root = root
    this.attempt(() => {
      mkdirSync(path.dirname(root), { recursive: true, mode: 0o777 })
      mkdirSync(root, { mode: 0o777 })
      this.made.add('')
    })
  }

  /** Starts the file at `rel`; it must not exist. */
  open(rel: string): void {
    this.attempt(() => {
      const parent = path.posix.dirname(rel)
      if (parent !== '.' && !this.made.has(parent)) {
        mkdirSync(path.join(this.root, parent), { recursive: true, mode: 0o777 })
        for (let p = parent; p !== '.' && !this.made.has(p); p = path.posix.dirname(p)) this.made.add(p)
      }
      this.fd = openSync(path.join(this.root, rel), 'wx', 0o444)
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
