// Which files go.sum vouches for: by the proxy protocol's request path (what the fetch and the
// proxies serve), and in go's module cache (what the cache checks and saves). A module line
// vouches for its zip (and the tree go extracts from it), a `/go.mod` line for the .mod.
import type { CacheContents } from '../engine/inputs.ts'
import type { SumLine } from './gosum.ts'
import { MAX_BYTES } from './limits.ts'
import { escapePath } from './path.ts'
import { downloadPath, type ProxyRequest } from './request.ts'
import { escapeVersion } from './version.ts'

/** `other`: a version list, `@latest`, or a file go.sum does not name: passed through for go to check. */
export type FileKind = 'info' | 'mod' | 'zip' | 'other'

/** A file to fetch from a candidate and, when go.sum vouches for it, to check. */
export interface FileJob {
  module: string
  version: string
  kind: FileKind
  /** go.sum's h1: hash the bytes must match; absent for an .info, and for a file go.sum does not name. */
  hash?: string
  /** Under the store (and a proxy): `<escaped module>/@v/<escaped version>.<kind>`, or a checked request path. */
  path: string
  /** A candidate sending more than this is cut off (limits.ts). */
  maxBytes: number
  /** Not kept: fetched for one request, into a file of its own that the caller removes. */
  transient?: boolean
}

/** The files go.sum vouches for, by request path: a .mod for each `/go.mod` line, a .zip and .info for each module line. */
export function knownFiles(lines: SumLine[], isPrivate: (module: string) => boolean): Map<string, FileJob> {
  const known = new Map<string, FileJob>()
  for (const line of lines) {
    if (isPrivate(line.module)) continue
    const add = (kind: 'info' | 'mod' | 'zip', hash?: string) => {
      const path = downloadPath(line.module, line.version, kind)
      known.set(path, { module: line.module, version: line.version, kind, path, maxBytes: MAX_BYTES[kind], ...(hash ? { hash } : {}) })
    }
    if (line.goMod) add('mod', line.hash)
    else {
      add('zip', line.hash)
      add('info')
    }
  }
  return known
}

/** What a checked request stands for: a file go.sum names (verified), or anything else (passed through). */
export function jobFor(known: Map<string, FileJob>, request: ProxyRequest): FileJob {
  const found = known.get(request.path)
  if (found) return found
  const version = 'version' in request ? request.version : ''
  // An .info names its version, so it can be checked and kept; the rest is go's to check.
  if (request.kind === 'info') return { module: request.module, version, kind: 'info', path: request.path, maxBytes: MAX_BYTES.info }
  return { module: request.module, version, kind: 'other', path: request.path, maxBytes: MAX_BYTES[request.kind], transient: true }
}

/** A file or tree go.sum's hash covers: a module's zip, its extracted tree, or its go.mod. */
export interface Check {
  module: string
  version: string
  what: 'zip' | 'tree' | 'mod'
  /** Relative to GOMODCACHE, with `/`. */
  path: string
  hash: string
}

/** A module version's files in the download cache, relative to GOMODCACHE: `cache/download/<module>/@v/<version>`, then the extension. */
export const downloadBase = (module: string, version: string) => `cache/download/${escapePath(module)}/@v/${escapeVersion(version)}`

/** Where go extracts a module version, relative to GOMODCACHE. */
export const treePath = (module: string, version: string) => `${escapePath(module)}@${escapeVersion(version)}`

/** Everything go.sum's lines vouch for, once each: the zip and extracted tree of a module line, the .mod of a `/go.mod` line. */
export function checksFor(lines: SumLine[]): Check[] {
  const checks = new Map<string, Check>()
  for (const { module, version, goMod, hash } of lines) {
    const base = downloadBase(module, version)
    const add = (what: Check['what'], path: string) => checks.set(path, { module, version, what, path, hash })
    if (goMod) add('mod', `${base}.mod`)
    else {
      add('zip', `${base}.zip`)
      add('tree', treePath(module, version))
    }
  }
  return [...checks.values()]
}

/**
 * What a saved entry holds, relative to GOMODCACHE: the download-cache files of the module
 * versions go.sum names (and, for `everything`, their extracted trees), nothing older. A version
 * go.sum dropped is not carried from entry to entry.
 */
export function savedPaths(lines: SumLine[], contents: CacheContents): string[] {
  const paths = new Set<string>()
  for (const { module, version, goMod } of lines) {
    const base = downloadBase(module, version)
    paths.add(`${base}.mod`).add(`${base}.info`)
    if (goMod) continue
    paths.add(`${base}.zip`).add(`${base}.ziphash`)
    if (contents === 'everything') paths.add(treePath(module, version))
  }
  return [...paths].sort()
}
