// Where go keeps a module version in its module cache, and which of those files a go.sum vouches
// for: what the check of a starting cache hashes, and what a save keeps. Pure.
import path from 'node:path'
import { escapePath, type SumLine } from '../gosum.ts'
import type { CacheContents } from '../inputs.ts'
import type { Stash } from './service.ts'

/** The module cache's entries: their staging folder sits beside the download cache, where go looks for nothing. */
export const moduleStash = (modcache: string): Stash => ({ root: modcache, staging: path.join(modcache, 'cache', 'go-mod-download-staging') })

/** The largest go.mod go reads (codehost.MaxGoMod): one larger cannot be what go.sum vouches for, and is never read whole. */
export const MAX_GO_MOD_BYTES = 16 << 20

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
export const downloadBase = (module: string, version: string) => `cache/download/${escapePath(module)}/@v/${escapePath(version)}`

/** Where go extracts a module version, relative to GOMODCACHE. */
export const treePath = (module: string, version: string) => `${escapePath(module)}@${escapePath(version)}`

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
