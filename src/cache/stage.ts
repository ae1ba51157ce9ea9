// The caches' stages around the download: the module cache restored and checked against go.sum
// before go runs, saved only after a complete download; the build cache restored for the job's
// builds (its post step saves it). Each returns its report and writes its own log lines.
import { port } from '../engine/port.ts'
import { readdirSync } from 'node:fs'
import { openDirIfThere } from '../util/confined.ts'
import type { SumLine } from '../module/gosum.ts'
import type { CacheContents } from '../engine/inputs.ts'
import { describeVerify } from './verify-words.ts'
import { admitFor, vouchedIn } from './admit.ts'
import { BUILD_STATE, type BuildCacheState, buildCacheKeys, type BuildRestoreReport, restoreBuildCache } from './build.ts'
import { type CacheKeys, type KeyFacts, saveDecision } from './keys.ts'
import { savedPaths } from '../module/vouched.ts'
import { moduleStash } from './layout.ts'
import { savePolicy, writeForbidden } from './mode.ts'
import { restoreEntry, type RestoreReport, type SaveReport, saveEntry } from './service.ts'
import { type VerifyReport, verifyModuleCache } from './verify.ts'

export interface ModuleCacheStart {
  restore: RestoreReport
  /** The check of what the step starts from (a restored entry, a runner's leftovers), when any of it is what go.sum names. */
  verify?: VerifyReport
}

/**
 * The module cache go starts from: restored when `restore` is on, then, whatever it holds
 * (restored, or left on a self-hosted runner), checked against go.sum, since go trusts it
 * without rehashing. From an entry, only what go.sum vouches for moves in, once checked in the
 * staging folder; on the runner, what does not match is discarded, and go fetches it again.
 */
export async function startModuleCache(o: { modcache: string; keys: CacheKeys; restore: boolean; timeoutMs: number; sumLines: SumLine[]; contents: CacheContents }): Promise<ModuleCacheStart> {
  let restore: RestoreReport = { state: 'disabled' }
  let fromEntry: VerifyReport | undefined
  let moved: string[] = []
  if (o.restore) {
    const outcome = await port.group('Restore the module cache', () =>
      restoreEntry(moduleStash(o.modcache), o.keys, o.timeoutMs, async dir => {
        const vouched = await vouchedIn(dir, o.sumLines, o.contents)
        fromEntry = vouched.verify
        return vouched.paths
      })
    )
    ;({ report: restore, moved } = outcome)
    if (restore.warning) port.warning(restore.warning)
    // The restored key is the cache service's word: shown as text.
    port.echo(restored(restore) ? `Restored ${restore.matchedKey} (${restore.state})` : `Cache: ${restore.policy ? `not read, by policy (${restore.policy})` : restore.state}`)
  }
  if (o.sumLines.length === 0 || !hasDownloads(o.modcache)) return { restore, ...(fromEntry ? { verify: fromEntry } : {}) }
  // What moved in was checked in the staging folder; what was on the runner is checked here.
  const onRunner = await port.group('Check the module cache against go.sum', () => verifyModuleCache(o.modcache, o.sumLines, { checked: new Set(moved) }))
  const verify = fromEntry ? joined(fromEntry, onRunner) : onRunner
  port.info(describeVerify(verify))
  if (verify.extracting) port.info(`Left alone: ${verify.extracting} extracted tree(s) another go is extracting (its .partial marker is there).`)
  if (verify.unlocked) port.info(`Checked without go's module locks (${verify.unlocked}): a go running beside the step on this module cache is not waited for.`)
  for (const d of verify.discarded) port.warning(`Discarded ${d.module} ${d.version} from the module cache: ${d.why}; it is fetched again.`)
  return { restore, verify }
}

/** One report of two checks: of what moved in from an entry, and of what the runner had. */
function joined(a: VerifyReport, b: VerifyReport): VerifyReport {
  return {
    zips: a.zips + b.zips,
    trees: a.trees + b.trees,
    mods: a.mods + b.mods,
    discarded: [...a.discarded, ...b.discarded],
    repaired: a.repaired + b.repaired,
    durationMs: a.durationMs + b.durationMs
  }
}

/** Saves the module cache when the decision (saveDecision) allows: only after a complete download. */
export async function saveModuleCache(o: {
  modcache: string
  key: string
  sumLines: SumLine[]
  contents: KeyFacts['contents']
  timeoutMs: number
  decision: { save: boolean; why: string }
}): Promise<SaveReport> {
  if (!o.decision.save) return { state: 'skipped', why: `not saved: ${o.decision.why}` }
  const saved = await port.group('Save the module cache', () =>
    saveEntry(moduleStash(o.modcache), o.key, savedPaths(o.sumLines, o.contents), o.timeoutMs, admitFor(o.sumLines))
  )
  if (saved.state === 'failed') port.warning(`Cache ${saved.why}`)
  else if (saved.state === 'policy') port.info(`Cache: ${saved.why}`)
  return saved
}

/** GOCACHE restored for the job's builds, and what the post step needs to save it (none when there is no build cache). */
export async function startBuildCache(o: { gocache: string; keys: Omit<KeyFacts, 'contents'> & { goVersion: string }; timeoutMs: number }): Promise<{ report: BuildRestoreReport; state?: BuildCacheState }> {
  if (!o.gocache || o.gocache === 'off') return { report: { state: 'disabled', hit: false, warning: 'GOCACHE is off: there is no build cache to keep.' } }
  const keys = buildCacheKeys(o.keys)
  const sinceMs = Date.now()
  const report = await port.group('Restore the build cache', () => restoreBuildCache(o.gocache, keys, o.timeoutMs))
  if (report.warning) port.warning(report.warning)
  port.echo(restored(report) ? `Build cache: restored ${report.matchedKey}${report.hit ? '' : ' (another go.sum)'}` : `Build cache: ${report.state}`)
  return { report, state: { gocache: o.gocache, prefix: keys.prefix, ...(report.matchedKey ? { matchedKey: report.matchedKey } : {}), sinceMs, limitMs: o.timeoutMs } }
}

/**
 * Hands the build cache to the post step, which saves it after the job's builds and tests, on the
 * same terms as the module cache: says whether it will, and the state the post step reads (the
 * front door keeps it) when it will.
 */
export function handBuildCacheOn(state: BuildCacheState, o: { saveCache: boolean; downloadOk: boolean; restore: RestoreReport['state'] }): { why: string; postState?: Record<string, string> } {
  const decision = saveDecision({ cacheEnabled: true, goSum: true, saveCache: o.saveCache, downloadOk: o.downloadOk, restore: o.restore })
  if (!decision.save) return { why: `not saved: ${decision.why}` }
  const forbidden = writeForbidden()
  if (forbidden) return { why: savePolicy(forbidden) }
  return { why: 'by the post step, after the job’s builds and tests', postState: { [BUILD_STATE]: JSON.stringify(state) } }
}

/** An entry came back: a failed restore names the entry it found, too. */
const restored = (report: RestoreReport) => report.state === 'exact' || report.state === 'partial'

/** Whether go's download cache holds anything at all. */
export function hasDownloads(modcache: string): boolean {
  let dir
  try {
    dir = openDirIfThere(modcache, 'cache/download')
  } catch {
    // A link or a file on the way: something for the check to remove, never to look through.
    return true
  }
  if (!dir) return false
  try {
    return readdirSync(dir.path).length > 0
  } finally {
    dir.close()
  }
}
