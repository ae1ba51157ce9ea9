// The cache service: restore and save through @actions/cache, by way of the staging folder,
// neither of which may fail the job or hang it.
import { fileURLToPath } from 'node:url'
import { treeBytes } from '../files.ts'
import { processEnv } from '../goenv.ts'
import { spawnGroup } from '../process.ts'
import { DeadlineError, withDeadline } from '../timing.ts'
import type { CacheKeys } from './keys.ts'
import { claimStaging, stage, unstage } from './staging.ts'

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
export function serviceConfigured(): boolean {
  return Boolean(process.env.ACTIONS_CACHE_URL || process.env.ACTIONS_RESULTS_URL)
}

/** Where an entry's files live (a module cache, a build cache), and the folder of stable path it is saved from and restored into. */
export interface Stash {
  root: string
  staging: string
}

/**
 * Restores the best entry for the keys into the staging folder, lets `prepare` see it, then
 * moves it under the root.
 */
export async function restoreEntry(stash: Stash, keys: CacheKeys, limitMs: number, prepare?: (dir: string) => Promise<void>): Promise<RestoreReport> {
  if (!serviceConfigured()) return { state: 'unavailable', warning: UNAVAILABLE }
  const started = performance.now()
  try {
    const staging = await claimStaging(stash.staging)
    try {
      const result = await restoreInChild(staging.dir, keys, limitMs)
      if (!result.available) return { state: 'unavailable', warning: UNAVAILABLE }
      const matchedKey = result.matchedKey ?? undefined
      if (!matchedKey) return { state: 'miss', durationMs: performance.now() - started }
      const bytes = await treeBytes(staging.dir)
      await prepare?.(staging.dir)
      await unstage(staging.dir, stash.root)
      return { state: sameKey(matchedKey, keys.key) ? 'exact' : 'partial', matchedKey, durationMs: performance.now() - started, bytes }
    } finally {
      await staging.release()
    }
  } catch (e) {
    const state = e instanceof DeadlineError ? 'timed-out' : 'failed'
    return { state, durationMs: performance.now() - started, warning: `Cache restore failed: ${(e as Error).message}` }
  }
}

/** Saves the files at `paths` (relative to the root, those that exist) under `key`, through the staging folder. */
export async function saveEntry(stash: Stash, key: string, paths: string[], limitMs: number): Promise<SaveReport> {
  const started = performance.now()
  try {
    const staging = await claimStaging(stash.staging)
    try {
      const bytes = await stage(stash.root, staging.dir, paths)
      // saveCache logs its own failures (a key another job saved first among them) and returns -1.
      // Loaded only now, when the fetch is over: see serviceConfigured.
      const cache = await import('@actions/cache')
      const id = await withDeadline(cache.saveCache([staging.dir], key), limitMs, 'Cache save')
      const durationMs = performance.now() - started
      if (id === -1) return { state: 'failed', why: 'not saved (the log says why)', durationMs }
      return { state: 'saved', why: 'saved', durationMs, bytes }
    } finally {
      await staging.release()
    }
  } catch (e) {
    return { state: 'failed', why: `save failed: ${(e as Error).message}`, durationMs: performance.now() - started }
  }
}

// Bundled, this module is dist/index.js beside dist/restore.js; from source (tests), src/cache/restore-process.ts.
const RESTORE_ENTRY = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './restore-process.ts' : './restore.js', import.meta.url))

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

