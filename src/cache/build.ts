// The build cache (GOCACHE), kept between jobs when the `build-cache` input asks for it. The main
// step restores it; the post step, after the job's builds and tests ran, saves the entries this
// job used or wrote, and nothing else, so the entry does not grow with every change of code.
// "Used" is read from go's own bookkeeping: go sets an entry's mtime to now when it uses an
// entry whose mtime is more than an hour old, so restored entries are dated two hours back, and
// anything with an mtime after the restore began was used or written by this job.
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { filesHash, type KeyFacts } from './keys.ts'
import { restoreEntry, type RestoreReport, type SaveReport, saveEntry, type Stash } from './service.ts'

export const BUILD_KEY_PREFIX = 'go-build'
/** Older than go's one hour between mtime updates, so that any use in this job moves it. */
const BACKDATE_MS = 2 * 60 * 60 * 1000

export interface BuildCacheKeys {
  /** Entries saved for these dependency files start with this; one is a hit. */
  prefix: string
  /** The prefix, then the same platform and Go version with any dependency files. */
  restoreKeys: string[]
}

/** `go-build-<os>-<arch>-<Go version>-<hash of the dependency files>-<hash of the entries saved>`: compiled code depends on the Go release. */
export function buildCacheKeys(facts: Omit<KeyFacts, 'contents'> & { goVersion: string }): BuildCacheKeys {
  const base = `${BUILD_KEY_PREFIX}-${facts.os}-${facts.arch}-${facts.goVersion}-`
  const prefix = `${base}${filesHash(facts.files).slice(0, 16)}-`
  return { prefix, restoreKeys: [prefix, base] }
}

/** The key of an entry holding `entries`: the same set of entries gets the same key, so an unchanged cache is not saved again. */
export function buildEntryKey(prefix: string, entries: string[]): string {
  return prefix + createHash('sha256').update([...entries].sort().join('\n')).digest('hex').slice(0, 16)
}

export const buildStash = (gocache: string): Stash => ({ root: gocache, staging: path.join(gocache, 'go-mod-download-staging') })

export interface BuildRestoreReport extends RestoreReport {
  /** An entry saved for the same dependency files, Go version and platform came back. */
  hit: boolean
}

export async function restoreBuildCache(gocache: string, keys: BuildCacheKeys, limitMs: number): Promise<BuildRestoreReport> {
  const backdated = new Date(Date.now() - BACKDATE_MS)
  const { report } = await restoreEntry(buildStash(gocache), { key: keys.prefix, restoreKeys: keys.restoreKeys }, limitMs, async dir => {
    const entries = await goEntries(dir)
    for (const entry of entries) await fs.utimes(path.join(dir, entry), backdated, backdated)
    return entries
  })
  const hit = report.matchedKey?.toLowerCase().startsWith(keys.prefix.toLowerCase()) ?? false
  return { ...report, hit }
}

/** The name of the main step's state that tells the post step what to save. */
export const BUILD_STATE = 'build-cache'

/** What the post step needs from the main step. */
export interface BuildCacheState {
  gocache: string
  prefix: string
  matchedKey?: string
  /** When the restore began: an entry with a later mtime was used or written by this job. */
  sinceMs: number
  limitMs: number
}

export interface BuildSaveReport extends SaveReport {
  key?: string
  entries: number
}

export async function saveBuildCache(state: BuildCacheState): Promise<BuildSaveReport> {
  const entries = await entriesUsedSince(state.gocache, state.sinceMs)
  if (entries.length === 0) return { state: 'skipped', why: 'not saved: the job used no build cache entry', entries: 0 }
  const key = buildEntryKey(state.prefix, entries)
  if (state.matchedKey?.toLowerCase() === key.toLowerCase()) return { state: 'skipped', why: 'not saved: unchanged since it was restored', key, entries: entries.length }
  return { ...(await saveEntry(buildStash(state.gocache), key, entries, state.limitMs)), key, entries: entries.length }
}

async function entriesUsedSince(gocache: string, sinceMs: number): Promise<string[]> {
  const used: string[] = []
  for (const entry of await goEntries(gocache)) {
    const stat = await fs.lstat(path.join(gocache, entry))
    if (stat.mtimeMs >= sinceMs) used.push(entry)
  }
  return used
}

/**
 * go's entries, as `xx/name`: regular files in 256 fan-out folders, 00 to ff, named by a hash
 * and `-a` (an action) or `-d` (an output). Its README and trim.txt are its own to write, and
 * nothing else of an entry is go's.
 */
async function goEntries(gocache: string): Promise<string[]> {
  const entries: string[] = []
  for (const dir of await fs.readdir(gocache).catch(() => [])) {
    if (!/^[0-9a-f]{2}$/.test(dir)) continue
    for (const entry of await fs.readdir(path.join(gocache, dir), { withFileTypes: true }).catch(() => [])) {
      if (entry.isFile() && /^[0-9a-f]{64}-[ad]$/.test(entry.name)) entries.push(`${dir}/${entry.name}`)
    }
  }
  return entries
}
