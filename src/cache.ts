// The module cache: its key, and restore and save that can neither fail the job nor hang it.
import { createHash } from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeDirsWritable, treeBytes } from './files.ts'
import type { CacheContents } from './inputs.ts'
import { processEnv } from './goenv.ts'
import { spawnGroup } from './process.ts'
import { DeadlineError, withDeadline } from './timing.ts'

export const KEY_PREFIX = 'go-mod-download'

export interface KeyFacts {
  os: string
  arch: string
  goVersion: string
  /** The dependency files (go.sum, go.work.sum…), with paths relative to the workspace. */
  files: { path: string; content: Buffer }[]
  /** go.mod or go.work: its `go` and `toolchain` lines decide which toolchain fetches. */
  goModText: string
}

export interface CacheKeys {
  key: string
  /** The key without its hash: a partial cache is better than none, the download fills the gaps. */
  restoreKeys: string[]
}

export function goDirectives(goModText: string): string[] {
  return goModText
    .split('\n')
    .map(l => l.trim())
    .filter(l => /^(go|toolchain)\s+\S+$/.test(l))
}

export function cacheKeys(facts: KeyFacts): CacheKeys {
  const hash = createHash('sha256')
  for (const file of [...facts.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(`${file.path}\0${createHash('sha256').update(file.content).digest('hex')}\n`)
  }
  hash.update(goDirectives(facts.goModText).join('\n'))
  const base = `${KEY_PREFIX}-${facts.os}-${facts.arch}-${facts.goVersion}-`
  return { key: base + hash.digest('hex'), restoreKeys: [base] }
}

/** What is archived: only the download cache (half the size, and faster to a ready cache even though go extracts it), or the whole module cache. */
export function cachePath(modcache: string, contents: CacheContents): string {
  return contents === 'downloads' ? path.join(modcache, 'cache', 'download') : modcache
}

export type RestoreState = 'exact' | 'partial' | 'miss' | 'disabled' | 'unavailable' | 'failed' | 'timed-out'

export interface RestoreReport {
  state: RestoreState
  matchedKey?: string
  durationMs?: number
  bytes?: number
  warning?: string
}

export type SaveState = 'saved' | 'skipped' | 'failed'

export interface SaveReport {
  state: SaveState
  why: string
  durationMs?: number
  bytes?: number
}

/** Starts the restore process's line that carries the result; everything else it prints is the log. */
export const RESULT_MARKER = 'go-mod-download restore result: '

export interface RestoreResult {
  /** False when @actions/cache finds no usable service: nothing was restored. */
  available: boolean
  matchedKey: string | null
}

const UNAVAILABLE = 'The cache service is not available here; going on without a cache.'

/**
 * Whether a cache service is configured, without loading @actions/cache: the library costs the
 * step about 50 MiB of memory, which the fetch would pay for nothing. It needs one of these to
 * have a service at all; the restore process (which loads it) decides the rest.
 */
function serviceConfigured(): boolean {
  return Boolean(process.env.ACTIONS_CACHE_URL || process.env.ACTIONS_RESULTS_URL)
}

export async function restoreModCache(dir: string, keys: CacheKeys, limitMs: number): Promise<RestoreReport> {
  if (!serviceConfigured()) return { state: 'unavailable', warning: UNAVAILABLE }
  const started = performance.now()
  try {
    // A self-hosted runner may hold a read-only module cache from an earlier run.
    await makeDirsWritable(dir)
    const result = await restoreInChild(dir, keys, limitMs)
    const durationMs = performance.now() - started
    if (!result.available) return { state: 'unavailable', warning: UNAVAILABLE }
    const matchedKey = result.matchedKey ?? undefined
    if (!matchedKey) return { state: 'miss', durationMs }
    return {
      state: sameKey(matchedKey, keys.key) ? 'exact' : 'partial',
      matchedKey,
      durationMs,
      bytes: await treeBytes(dir)
    }
  } catch (e) {
    const state = e instanceof DeadlineError ? 'timed-out' : 'failed'
    return { state, durationMs: performance.now() - started, warning: `Cache restore failed: ${(e as Error).message}` }
  }
}

// Bundled, this module is dist/index.js beside dist/restore.js; from source (tests), src/restore.ts.
const RESTORE_ENTRY = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './restore.ts' : './restore.js', import.meta.url))

/**
 * The restore runs in its own process group: past its deadline it is killed with its tar, so
 * nothing is extracted into the module cache after the step has moved on.
 */
async function restoreInChild(dir: string, keys: CacheKeys, limitMs: number): Promise<RestoreResult> {
  let result: RestoreResult | undefined
  const errors: string[] = []
  const child = spawnGroup(process.execPath, [RESTORE_ENTRY, dir, keys.key, ...keys.restoreKeys], {
    cwd: process.cwd(),
    env: processEnv(),
    onLine: line => {
      if (line.startsWith(RESULT_MARKER)) result = JSON.parse(line.slice(RESULT_MARKER.length)) as RestoreResult
      else {
        // The child's log lines (workflow commands included) are the step's.
        process.stdout.write(`${line}\n`)
        errors.push(line)
        if (errors.length > 5) errors.shift()
      }
    }
  })
  const outcome = await withDeadline(child.exited, limitMs, 'Cache restore').catch(async (e: Error) => {
    if (e instanceof DeadlineError) await child.kill()
    throw e
  })
  if (outcome.code !== 0 || !result) throw new Error(`the restore process ended with ${outcome.code ?? outcome.signal}: ${errors.join(' / ')}`)
  return result
}

/** Cache services match keys case-insensitively (act's lowercases them), as actions/cache compares them. */
function sameKey(a: string, b: string): boolean {
  return a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0
}

/** Saving is for complete, verified downloads only, and pointless when the exact key came back. */
export function saveDecision(facts: {
  cacheEnabled: boolean
  saveCache: boolean
  downloadOk: boolean
  restore: RestoreState
}): { save: boolean; why: string } {
  if (!facts.cacheEnabled) return { save: false, why: 'cache is off' }
  if (!facts.downloadOk) return { save: false, why: 'the download did not complete' }
  if (!facts.saveCache) return { save: false, why: 'save-cache is false' }
  if (facts.restore === 'exact') return { save: false, why: 'the exact key was restored' }
  if (facts.restore === 'unavailable') return { save: false, why: 'no cache service' }
  // A save would wait just as long on a service that did not answer the restore.
  if (facts.restore === 'timed-out') return { save: false, why: 'the cache service did not answer the restore in time' }
  return { save: true, why: '' }
}

export async function saveModCache(dir: string, key: string, limitMs: number): Promise<SaveReport> {
  const started = performance.now()
  try {
    // saveCache logs its own failures (a key another job saved first among them) and returns -1.
    // Loaded only now, when the fetch is over: see serviceConfigured.
    const cache = await import('@actions/cache')
    const id = await withDeadline(cache.saveCache([dir], key), limitMs, 'Cache save')
    const durationMs = performance.now() - started
    if (id === -1) return { state: 'failed', why: 'not saved (the log says why)', durationMs }
    return { state: 'saved', why: 'saved', durationMs, bytes: await treeBytes(dir) }
  } catch (e) {
    return { state: 'failed', why: `save failed: ${(e as Error).message}`, durationMs: performance.now() - started }
  }
}
