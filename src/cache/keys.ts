// The cache key, and whether a run saves: decisions from facts, no effects.
import { createHash } from 'node:crypto'
import type { CacheContents } from '../engine/inputs.ts'
import type { RestoreState } from './service.ts'

export const KEY_PREFIX = 'go-mod-download'

export interface KeyFacts {
  os: string
  arch: string
  contents: CacheContents
  /** The dependency files (go.sum, go.work.sum…), with paths relative to the workspace. */
  files: { path: string; content: Buffer }[]
}

export interface CacheKeys {
  key: string
  /** The key without its hash: a partial cache is better than none, the download fills the gaps. */
  restoreKeys: string[]
}

/**
 * `<prefix>-<os>-<arch>-<contents>-<hash of the dependency files>`. No Go version: an entry holds
 * module zips, .mod and .info files and trees extracted from them, none of which depends on the
 * Go release, and all of which are checked against go.sum when restored; a patch release of Go
 * must not start every project cold. The platform stays: a toolchain go switches to is a module
 * of its own platform, and the cache service keeps entries apart by path style anyway.
 */
export function cacheKeys(facts: KeyFacts): CacheKeys {
  const base = `${KEY_PREFIX}-${facts.os}-${facts.arch}-${facts.contents}-`
  return { key: base + filesHash(facts.files), restoreKeys: [base] }
}

/** A hash of the dependency files' paths and contents, whatever order they were found in. */
export function filesHash(files: KeyFacts['files']): string {
  const hash = createHash('sha256')
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(`${file.path}\0${createHash('sha256').update(file.content).digest('hex')}\n`)
  }
  return hash.digest('hex')
}

/** Saving is for complete, verified downloads only, and pointless when the exact key came back. */
export function saveDecision(facts: {
  cacheEnabled: boolean
  /** Without go.sum, nothing vouches for what would be saved. */
  goSum: boolean
  saveCache: boolean
  downloadOk: boolean
  restore: RestoreState
  /** The key this run saves under, and the key of the entry its restore found: one that failed to restore is not saved again. */
  key?: string
  matchedKey?: string
}): { save: boolean; why: string } {
  if (!facts.cacheEnabled) return { save: false, why: 'cache is off' }
  if (!facts.goSum) return { save: false, why: 'there is no go.sum to check it against' }
  if (!facts.downloadOk) return { save: false, why: 'the download did not complete' }
  if (!facts.saveCache) return { save: false, why: 'save-cache is false' }
  if (facts.restore === 'exact') return { save: false, why: 'the exact key was restored' }
  if (facts.restore === 'unavailable') return { save: false, why: 'no cache service' }
  // The entry is there, broken or not: the service keeps the first entry saved under a key.
  if (facts.restore === 'failed' && facts.key !== undefined && facts.matchedKey !== undefined && sameKey(facts.key, facts.matchedKey)) {
    return { save: false, why: 'an entry under this key exists (its restore failed)' }
  }
  // A save would wait just as long on a service that did not answer the restore.
  if (facts.restore === 'timed-out') return { save: false, why: 'the cache service did not answer the restore in time' }
  return { save: true, why: '' }
}

/** Characters localeCompare neither ignores (as it does controls) nor folds beyond case. */
const PRINTABLE_ASCII = /^[ -~]*$/

/**
 * Cache services match keys case-insensitively (act's lowercases them), as actions/cache compares
 * them (localeCompare, accent-sensitive). Keys are printable ASCII, but for what a service may
 * answer: those are compared by their lower case, without ICU's collation, which localeCompare
 * pages in (about 3 MiB of the step's memory); anything else as actions/cache compares it.
 */
export function sameKey(a: string, b: string): boolean {
  return PRINTABLE_ASCII.test(a) && PRINTABLE_ASCII.test(b) ? a.toLowerCase() === b.toLowerCase() : a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0
}
