// The cache service: restore and save through @actions/cache, each in a process of its own, by
// way of the staging folder; neither may fail the job or hang it.
import { port } from '../engine/port.ts'
import { fileURLToPath } from 'node:url'
import { processEnv } from '../go/goenv.ts'
import { spawnGroup } from '../util/process.ts'
import { DeadlineError, withDeadline } from '../util/timing.ts'
import { cacheLogLine } from '../util/untrusted.ts'
import { type CacheKeys, sameKey } from './keys.ts'
import { READ_DENIED, readForbidden, savePolicy, WRITE_DENIED, writeForbidden } from './mode.ts'
import { type Admit, claimStaging, stage, type Staging, unstage } from './staging.ts'
import type { Refused } from './unpack.ts'

export type RestoreState = 'exact' | 'partial' | 'miss' | 'disabled' | 'unavailable' | 'policy' | 'failed' | 'timed-out'

export interface RestoreReport {
  state: RestoreState
  matchedKey?: string
  durationMs?: number
  bytes?: number
  warning?: string
  /** Why this job may not read the cache (state policy): ACTIONS_CACHE_MODE, or the service's refusal. */
  policy?: string
}

/** policy: not saved because this job may not write the cache, which is no failure (a restore-only job). */
export type SaveState = 'saved' | 'skipped' | 'policy' | 'failed'

export interface SaveReport {
  state: SaveState
  why: string
  durationMs?: number
  bytes?: number
}

/** Starts the line of a restore or save process that carries its result; everything else it prints is the log. */
export const RESULT_MARKER = 'go-mod-download cache result: '

export interface RestoreResult {
  /** False when @actions/cache finds no usable service: nothing was restored. */
  available: boolean
  matchedKey: string | null
  /** What the entry's archive held that was written, and what was refused (the first REFUSED_SHOWN of refusedCount). */
  files?: number
  bytes?: number
  refused?: Refused[]
  refusedCount?: number
  /** Why an entry that was found was not restored: a download that broke off, an archive that does not read. */
  error?: string
  /** The service refused to read (READ_DENIED): its words. */
  denied?: string
}

/** How many refused members a restore names; the rest are counted. */
export const REFUSED_SHOWN = 10

export interface SaveResult {
  /** What saveCache returned: -1 when it gave up before reserving the entry; past that, the entry's id even when the upload failed (saveEntry reads the log). */
  id: number
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

export interface RestoreOutcome {
  report: RestoreReport
  /** The paths (relative to the root) the restore moved in: nothing else of the root changed. */
  moved: string[]
}

/**
 * Restores the best entry for the keys into the staging folder, then moves under the root what
 * `select` picks from it (paths relative to the entry folder, files or trees), each where the
 * root has nothing yet. The rest is deleted with the folder.
 */
export async function restoreEntry(stash: Stash, keys: CacheKeys, limitMs: number, select: (dir: string) => Promise<string[]>): Promise<RestoreOutcome> {
  const nothing = (report: RestoreReport): RestoreOutcome => ({ report, moved: [] })
  if (!serviceConfigured()) return nothing({ state: 'unavailable', warning: UNAVAILABLE })
  const forbidden = readForbidden()
  if (forbidden) return nothing({ state: 'policy', policy: forbidden })
  const started = performance.now()
  let matchedKey: string | undefined
  try {
    const staging = await claimStaging(stash.staging, stash.root)
    try {
      const result = await restoreInChild(staging, keys, limitMs)
      if (!result.available) return nothing({ state: 'unavailable', warning: UNAVAILABLE })
      if (result.denied !== undefined) return nothing({ state: 'policy', policy: `the cache service answered “${READ_DENIED.slice(0, -1)}”` })
      matchedKey = result.matchedKey ?? undefined
      if (!matchedKey) return nothing({ state: 'miss', durationMs: performance.now() - started })
      if (result.error !== undefined) throw new Error(result.error)
      const moved = await unstage(staging.held.entry, stash.root, await select(staging.held.entry))
      const refused = result.refusedCount ?? 0
      // An entry that was not taken whole is not the exact one: saving under the key again is what repairs it.
      const state = refused === 0 && sameKey(matchedKey, keys.key) ? 'exact' : 'partial'
      const report: RestoreReport = { state, matchedKey, durationMs: performance.now() - started, ...(result.bytes === undefined ? {} : { bytes: result.bytes }) }
      return { report: refused > 0 ? { ...report, warning: describeRefused(matchedKey, result) } : report, moved }
    } finally {
      await staging.release()
    }
  } catch (e) {
    const state = e instanceof DeadlineError ? 'timed-out' : 'failed'
    return nothing({ state, ...(matchedKey ? { matchedKey } : {}), durationMs: performance.now() - started, warning: `Cache restore${matchedKey ? ` of ${matchedKey}` : ''} failed: ${(e as Error).message}` })
  }
}

function describeRefused(key: string, result: RestoreResult): string {
  const shown = (result.refused ?? []).map(r => `${JSON.stringify(r.member)} (${r.why})`).join('; ')
  const more = (result.refusedCount ?? 0) - (result.refused ?? []).length
  return `The cache entry ${key} held ${result.refusedCount} member(s) that were not written, so it is restored in part: ${shown}${more > 0 ? `; and ${more} more` : ''}.`
}

/**
 * Saves the files at `paths` (relative to the root, those that exist) under `key`, through the
 * staging folder: those whose contents are the root's own, and that `admit` admits.
 */
export async function saveEntry(stash: Stash, key: string, paths: string[], limitMs: number, admit?: Admit): Promise<SaveReport> {
  const forbidden = writeForbidden()
  if (forbidden) return { state: 'policy', why: savePolicy(forbidden) }
  const started = performance.now()
  try {
    const staging = await claimStaging(stash.staging, stash.root)
    try {
      const { bytes, skipped } = await stage(stash.root, staging.held.entry, paths, admit)
      if (skipped.length > 0) port.warning(`Not saved in the cache entry, not being the cache’s own: ${skipped.slice(0, REFUSED_SHOWN).map(s => `${s.path} (${s.why})`).join('; ')}${skipped.length > REFUSED_SHOWN ? `; and ${skipped.length - REFUSED_SHOWN} more` : ''}.`)
      const { result, log } = await inChild<SaveResult>(SAVE_ENTRY, [staging.entry, key], limitMs, 'Cache save')
      const durationMs = performance.now() - started
      // A token the issuer made read-only: the job is restore-only, and nothing failed.
      if (result.id === -1 && log.some(writeDenied)) return { state: 'policy', why: savePolicy(`the cache service answered “${WRITE_DENIED.slice(0, -1)}”`), durationMs }
      // Once the entry is reserved, saveCache returns its id even when the upload then failed; it says so only in the log.
      if (result.id === -1 || log.some(line => /^::(warning|error)::Failed to save/.test(line))) return { state: 'failed', why: 'not saved (the log says why)', durationMs }
      return { state: 'saved', why: 'saved', durationMs, bytes }
    } finally {
      await staging.release()
    }
  } catch (e) {
    return { state: 'failed', why: `save failed: ${(e as Error).message}`, durationMs: performance.now() - started }
  }
}

// Bundled, this module is part of dist/index.js beside dist/restore.js and dist/save.js; from source (tests), beside the .ts entries.
const fromSource = import.meta.url.endsWith('.ts')
const RESTORE_ENTRY = fileURLToPath(new URL(fromSource ? '../entries/cache-restore.ts' : './restore.js', import.meta.url))
const SAVE_ENTRY = fileURLToPath(new URL(fromSource ? '../entries/cache-save.ts' : './save.js', import.meta.url))

/**
 * The restore runs in its own process group: past its deadline it is killed with its tar, so
 * nothing is extracted into the module cache after the step has moved on.
 */
async function restoreInChild(staging: Staging, keys: CacheKeys, limitMs: number): Promise<RestoreResult> {
  const { fd, entry, archive } = staging.child
  return (await inChild<RestoreResult>(RESTORE_ENTRY, [staging.entry, entry, archive, keys.key, ...keys.restoreKeys], limitMs, 'Cache restore', fd)).result
}

/**
 * A restore or save process (it loads @actions/cache, 50 MiB the step never pays), in its own
 * process group: killed with its tar past the deadline; a crash of its own is an error here.
 * Its result, and its log lines, which are the step's too.
 */
async function inChild<T>(entry: string, args: string[], limitMs: number, what: string, inheritedFd?: number): Promise<{ result: T; log: string[] }> {
  let result: T | undefined
  const log: string[] = []
  const child = spawnGroup(process.execPath, [entry, ...args], {
    cwd: process.cwd(),
    env: processEnv(),
    ...(inheritedFd === undefined ? {} : { inherit: [inheritedFd] }),
    onLine: line => {
      if (line.startsWith(RESULT_MARKER)) result = JSON.parse(line.slice(RESULT_MARKER.length)) as T
      else {
        // The child's log lines are the step's; of its workflow commands, only @actions/cache's own,
        // less the warning for a write the policy denied, which is said as the policy it is.
        process.stdout.write(`${cacheLogLine(writeDenied(line) ? line.replace(/^::warning::/, '') : line)}\n`)
        log.push(line)
      }
    }
  })
  const outcome = await withDeadline(child.exited, limitMs, what).catch(async (e: Error) => {
    if (e instanceof DeadlineError) await child.kill()
    throw e
  })
  if (outcome.code !== 0 || !result) throw new Error(`the ${what.toLowerCase()} process ended with ${outcome.code ?? outcome.signal}: ${log.slice(-5).join(' / ')}`)
  return { result, log }
}

/** @actions/cache's warning for a save the service refused by policy. */
const writeDenied = (line: string) => line.startsWith('::warning::Failed to save: ') && line.includes(WRITE_DENIED)
