// The speculative fetch of go's download set: while go works, the files it will ask for (the
// plan, from the project's go.mod files as they arrive, resolve.ts) are fetched ahead of it, as
// many in flight as pays (concurrency.ts), so that go finds most of them ready in its download
// cache. It stops when go finishes, or when no file completes for the stall timeout.
import type { ModuleVersion } from '../go/gomod.ts'
import { MAX_BYTES } from '../module/limits.ts'
import { downloadPath } from '../module/request.ts'
import type { FileJob } from '../module/vouched.ts'
import { readOpened } from '../util/confined.ts'
import { stallCheckEveryMs } from '../util/timing.ts'
import { traceSpan } from '../util/trace.ts'
import { type ClimbState, Limiter, nextLimit, startLimit, WARM_UP_WINDOWS, WINDOW_MS } from './concurrency.ts'
import { likelyDownloads, type PlanInput } from './download-set.ts'
import type { Fetcher } from './fetcher.ts'
import type { Outcome, RankedCandidates } from './race.ts'
import { resolveDownloads } from './resolve.ts'
import type { Store } from './store.ts'

export interface SpeculationOptions {
  /** The candidates, first the one asked first: its probe latency sets the first limit. */
  candidates: RankedCandidates
  isPrivate: (module: string) => boolean
  project: PlanInput
  /** The ceiling of requests in flight. */
  concurrency: number
  /** It stops when no file completes for this long. */
  stallTimeoutMs: number
}

const filePath = (m: ModuleVersion, kind: 'info' | 'mod' | 'zip') => downloadPath(m.path, m.version, kind)

/** What the speculative fetch did: its part of the stage's report. */
export interface Speculation {
  /** Files of go's download set, and the zips among them. */
  planned: number
  plannedZips: number
  /** go.mod files the plan could not read. */
  unresolved: number
  /** The most requests the adaptive limit allowed at once. */
  peakLimit: number
  /** Set when it stopped early, and why. */
  stopped?: string
}

/**
 * The plan, then its files, as many in flight as the adaptive limit allows, but for what go's
 * download cache already holds; go's own requests do not wait for it. `stop()` ends it: with a
 * reason, early (reported); without one, because go finished.
 */
export function speculate(
  fetcher: Fetcher,
  known: Map<string, FileJob>,
  downloadCache: Store,
  options: SpeculationOptions
): { done: Promise<void>; stop: (why?: string) => void; figures: Speculation } {
  const figures: Speculation = { planned: 0, plannedZips: 0, unresolved: 0, peakLimit: 0 }
  const stop = new AbortController()
  // The first candidate's probe latency: the one asked first.
  const limiter = new Limiter(startLimit(options.candidates[0]?.latencyMs ?? 0, options.concurrency))
  figures.peakLimit = limiter.limit
  let climb: ClimbState = { limit: limiter.limit, direction: 1, hold: WARM_UP_WINDOWS }
  let windowStart = fetcher.bytes
  let completed = 0
  let busy = false
  let lastDone = performance.now()
  const adapt = setInterval(() => {
    // Bytes received in the window, and a share per completed file, so that many small answers count too.
    const delivered = fetcher.bytes - windowStart + completed * 16_384
    climb = nextLimit(climb, delivered, busy, options.concurrency)
    limiter.setLimit(climb.limit)
    figures.peakLimit = Math.max(figures.peakLimit, climb.limit)
    windowStart = fetcher.bytes
    completed = 0
    busy = false
  }, WINDOW_MS)
  const halt = (why?: string) => {
    if (stop.signal.aborted) return
    stop.abort(why ?? 'go finished')
    if (why) figures.stopped = why
  }
  const watchdog = setInterval(() => {
    if (performance.now() - lastDone > options.stallTimeoutMs) halt(`no file completed for ${Math.round(options.stallTimeoutMs / 1000)}s`)
  }, stallCheckEveryMs(options.stallTimeoutMs))

  const fetchOne = async (job: FileJob): Promise<Outcome | undefined> => {
    if (stop.signal.aborted) return undefined
    // The slot is the request's: freed once the bytes are on disk, while they are verified.
    const release = await limiter.acquire()
    try {
      busy ||= limiter.active >= limiter.limit
      if (stop.signal.aborted) return undefined
      const outcome = await fetcher.get(job, { speculative: true, onFetched: release })
      if (outcome.kind === 'file') {
        lastDone = performance.now()
        completed++
      }
      return outcome
    } finally {
      release()
    }
  }
  const fetchMod = async (m: ModuleVersion): Promise<string | undefined> => {
    // A private module's go.mod is never asked of a public candidate: the plan goes around it.
    const job = known.get(filePath(m, 'mod'))
    if (options.isPrivate(m.path) || !job) return undefined
    // go checked what its own cache holds when it wrote it.
    if (downloadCache.stored(job)) return downloadCache.read(job, MAX_BYTES.mod).toString('utf8')
    const outcome = await fetchOne(job)
    if (outcome?.kind !== 'file') return undefined
    // Opened as the store reached it, and read no further than a go.mod may be: the file is in a
    // shared module cache, and a FIFO or a link swapped in since would hold this thread for good.
    try {
      return readOpened(outcome.open(), MAX_BYTES.mod).toString('utf8')
    } catch {
      return undefined
    }
  }
  // What go's cache holds (restored, or written by go meanwhile) is go's already: it takes no slot.
  const fetchUnlessStored = (job: FileJob): Promise<Outcome | undefined> | undefined => (downloadCache.stored(job) ? undefined : fetchOne(job))

  const done = (async () => {
    try {
      const planning = performance.now()
      // The zips the main go.mod already names are asked first, the plan's go.mod requests
      // queued behind them: a zip takes its transfer time, a go.mod mostly its answer's latency,
      // and go asks for the go.mod files itself before any zip. The whole set below joins them
      // (fetcher.ts: in flight, or in its store), and meets any failure of theirs there.
      for (const m of likelyDownloads(options.project)) {
        if (options.isPrivate(m.path)) continue
        for (const kind of ['zip', 'info'] as const) {
          const job = known.get(filePath(m, kind))
          if (job) fetchUnlessStored(job)?.catch(() => undefined)
        }
      }
      const plan = await resolveDownloads(options.project, fetchMod)
      const planned = performance.now()
      traceSpan('plan (go.mod files fetched to find the download set)', planning, planned)
      // A private module's go.mod is left to go by design, not missing (keys are `path@version`).
      figures.unresolved = plan.unresolved.filter(key => !options.isPrivate(key.slice(0, key.lastIndexOf('@')))).length
      const paths = new Set([
        ...plan.graphMods.map(m => filePath(m, 'mod')),
        ...plan.downloads.flatMap(m => (['info', 'mod', 'zip'] as const).map(kind => filePath(m, kind)))
      ])
      const jobs = [...paths].flatMap(p => known.get(p) ?? [])
      figures.planned = jobs.length
      figures.plannedZips = jobs.filter(j => j.kind === 'zip').length
      await Promise.all(jobs.map(fetchUnlessStored))
      traceSpan('speculative fetch of the download set', planned)
    } finally {
      clearInterval(adapt)
      clearInterval(watchdog)
    }
  })()
  return {
    done: done.catch(() => undefined),
    stop: halt,
    figures
  }
}
