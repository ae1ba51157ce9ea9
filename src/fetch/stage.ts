// The fetch stage: go's own download set, fetched from the healthy candidates while go works.
// go is pointed at a local proxy (GOPROXY=local|chain) that serves verified files; behind it the
// set is fetched speculatively, as wide as pays, so that go finds most files ready while the
// rest still arrive. Verified files go into go's download cache, as go
// itself writes it (a zip's .ziphash last), and each zip's files are written out as it is verified,
// so that go finds its modules extracted.
import { port } from '../engine/port.ts'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Candidate } from '../goproxy.ts'
import type { ModuleVersion } from '../gomod.ts'
import type { SumLine } from '../module/gosum.ts'
import { MAX_BYTES } from '../module/limits.ts'
import { downloadPath } from '../module/request.ts'
import { type FileJob, knownFiles } from '../module/vouched.ts'
import type { HttpClient } from '../net/client.ts'
import { stallCheckEveryMs } from '../timing.ts'
import { Limiter, nextLimit, startLimit, type ClimbState, WARM_UP_WINDOWS, WINDOW_MS } from './concurrency.ts'
import type { PlanInput } from './download-set.ts'
import { Fetcher, type Outcome } from './fetcher.ts'
import type { SumdbRoutes } from '../sumdb.ts'
import { type LocalProxy, startLocalProxy, type SumdbRelay } from './local-proxy.ts'
import { resolveDownloads } from './resolve.ts'
import { type CandidateStats, isTroubled, movedBecause } from './stats.ts'
import { Store } from './store.ts'

export interface FetchOptions {
  client: HttpClient
  /** Healthy URL candidates in chain order, each with its probe latency. */
  candidates: { candidate: Candidate; latencyMs: number }[]
  sumLines: SumLine[]
  isPrivate: (module: string) => boolean
  project: PlanInput
  /** go's module cache: what its download cache already holds is neither fetched nor asked for. */
  modcache: string
  /** Whether go leaves the directories it extracts writable (-modcacherw): the fetch writes them out as go would. */
  writableTrees: boolean
  /** The ceiling of speculative requests in flight. */
  concurrency: number
  rounds: number
  backoffMs: number
  /** The speculative fetch stops when no file completes for this long. */
  stallTimeoutMs: number
}

export interface CandidateReport {
  candidate: Candidate
  stats: CandidateStats
  /** Why it was moved behind the others, when it was. */
  moved?: string
}

export interface FetchReport {
  /** Files of go's download set (graph .mod files, and .info, .mod, .zip of each download). */
  planned: number
  plannedZips: number
  /** go.sum lines, for comparison: what the old prefetch would have fetched. */
  sumLines: number
  /** Files fetched and verified (zips among them), and the bytes received from candidates (hedged duplicates included). */
  files: number
  zips: number
  /** Zips whose files the fetch wrote out as it verified them, so that go did not extract them. */
  extracted: number
  bytes: number
  durationMs: number
  retries: number
  hedges: number
  rejected: number
  /** Requests go made of the local proxy, and how many it served from a verified file. */
  requests: number
  served: number
  /** The most speculative requests the adaptive limit allowed at once. */
  peakLimit: number
  /** Set when the speculative fetch stopped early, and why. */
  stopped?: string
  /** go.mod files the plan could not read: go fetched around them itself. */
  unresolved: number
  candidates: CandidateReport[]
  /** Candidates that misbehaved: they go behind the others in the chain. */
  troubled: Candidate[]
}

export interface FetchStage {
  /** The local proxy, to put first in the attempt's GOPROXY. */
  url: string
  /**
   * The probe is over: the healthy candidates in chain order (the stage may have started with
   * the first that answered), and the checksum database go asks for what go.sum lacks, with its
   * routes as they answer (sumdb.ts).
   */
  probed: (candidates: FetchOptions['candidates'], sumdb?: SumdbRoutes) => void
  /** The attempt's GOSUMDB, the checksum database through the local proxy, once probed() named one. */
  gosumdb?: string
  /** Bytes received from candidates so far: progress for the watchdog while go waits on the local proxy. */
  progress: () => number
  /** The watchdog ended go's attempt: the fetches it waited for are given up, and the next attempt's requests start anew. */
  abandon: () => void
  /** Stops the speculative fetch and the local proxy, and reports. */
  finish: () => Promise<FetchReport>
}

const GO_FINISHED = 'go finished'
const filePath = (m: ModuleVersion, kind: 'info' | 'mod' | 'zip') => downloadPath(m.path, m.version, kind)

export async function startFetch(options: FetchOptions): Promise<FetchStage> {
  const started = performance.now()
  const scratch = mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'go-mod-fetch-'))
  // Verified files go where go looks first, so that go finds them without asking; a module cache
  // the step cannot write gets a store of its own, served to go through the local proxy only.
  const downloadCache = new Store({
    root: options.modcache,
    downloads: 'cache/download',
    // go extracts in place on Windows, where a scanner holding a new file open makes renaming a fresh directory fail.
    ...(process.platform !== 'win32' ? { extract: { writable: options.writableTrees } } : {})
  })
  const known = knownFiles(options.sumLines, options.isPrivate)
  const fetcher = new Fetcher({
    client: options.client,
    candidates: options.candidates,
    store: downloadCache.writable() ? downloadCache : new Store({ root: path.join(scratch, 'store'), downloads: '' }),
    transientDir: path.join(scratch, 'transient'),
    // go extracts none of the zips written out for it: the core it would have used hashes and writes them instead.
    hashThreads: Math.min(2, os.availableParallelism()),
    rounds: options.rounds,
    backoffMs: options.backoffMs,
    stallTimeoutMs: options.stallTimeoutMs
  })
  let sumdb: SumdbRelay | undefined
  // Anyone on the machine reaches 127.0.0.1: only go, given the secret, is served. The runner masks it in the log.
  const secret = randomBytes(18).toString('base64url')
  port.secret(secret)
  const local: LocalProxy = await startLocalProxy(fetcher, known, { secret, sumdb: () => sumdb })
  const report: FetchReport = {
    planned: 0,
    plannedZips: 0,
    sumLines: options.sumLines.length,
    files: 0,
    zips: 0,
    extracted: 0,
    bytes: 0,
    durationMs: 0,
    retries: 0,
    hedges: 0,
    rejected: 0,
    requests: 0,
    served: 0,
    peakLimit: 0,
    unresolved: 0,
    candidates: [],
    troubled: []
  }
  const speculative = speculate(fetcher, known, downloadCache, options, report)
  const stage: FetchStage = {
    url: local.url,
    probed: (candidates, database) => {
      fetcher.useCandidates(candidates)
      if (!database) return
      const relay = fetcherIn(path.join(scratch, 'sumdb'), [], options, { candidatesComing: true })
      const chain = candidates.map(c => c.candidate)
      database.follow(() => {
        const { routes, final } = database.relay(chain)
        relay.useCandidates(routes, final)
      })
      sumdb = { name: database.route.name, fetcher: relay }
      stage.gosumdb = `${database.route.key} ${local.url}/sumdb/${database.route.name}`
    },
    progress: () => fetcher.bytes + (sumdb?.fetcher.bytes ?? 0),
    abandon: () => {
      fetcher.abandon()
    },
    finish: async () => {
      speculative.stop(GO_FINISHED)
      await Promise.all([speculative.done, local.close(), fetcher.close(), sumdb?.fetcher.close()])
      await rm(scratch, { recursive: true, force: true })
      report.durationMs = performance.now() - started
      report.files = fetcher.files
      report.zips = fetcher.zips
      report.extracted = fetcher.extracted
      report.bytes = fetcher.bytes
      report.retries = fetcher.retries
      report.hedges = fetcher.hedges
      report.rejected = fetcher.rejected
      report.requests = local.requests
      report.served = local.served
      report.candidates = fetcher.current.map(candidate => {
        const stats = fetcher.stats.get(candidate) as CandidateStats
        const moved = movedBecause(stats)
        return { candidate, stats, ...(moved ? { moved } : {}) }
      })
      report.troubled = report.candidates.filter(c => isTroubled(c.stats)).map(c => c.candidate)
      return report
    }
  }
  return stage
}

/**
 * A fetcher whose files are kept under `dir` alone (not in go's download cache): the job's
 * proxy, and the relay of checksum-database answers (signed, and checked by go).
 */
export function fetcherIn(
  dir: string,
  candidates: FetchOptions['candidates'],
  options: Pick<FetchOptions, 'client' | 'rounds' | 'backoffMs' | 'stallTimeoutMs'>,
  more: { candidatesComing?: boolean } = {}
): Fetcher {
  return new Fetcher({
    client: options.client,
    candidates,
    store: new Store({ root: path.join(dir, 'store'), downloads: '' }),
    transientDir: path.join(dir, 'transient'),
    rounds: options.rounds,
    backoffMs: options.backoffMs,
    stallTimeoutMs: options.stallTimeoutMs,
    ...more
  })
}

/** The plan, then its files, as many in flight as the adaptive limit allows, but for what go's download cache already holds; go's own requests do not wait for it. */
function speculate(fetcher: Fetcher, known: Map<string, FileJob>, downloadCache: Store, options: FetchOptions, report: FetchReport): { done: Promise<void>; stop: (why: string) => void } {
  const stop = new AbortController()
  // The first candidate's probe latency: the one asked first.
  const limiter = new Limiter(startLimit(options.candidates[0]?.latencyMs ?? 0, options.concurrency))
  report.peakLimit = limiter.limit
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
    report.peakLimit = Math.max(report.peakLimit, climb.limit)
    windowStart = fetcher.bytes
    completed = 0
    busy = false
  }, WINDOW_MS)
  const halt = (why: string) => {
    if (stop.signal.aborted) return
    stop.abort(why)
    if (why !== GO_FINISHED) report.stopped = why
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
    return outcome?.kind === 'file' ? readFileSync(outcome.file, 'utf8') : undefined
  }

  const done = (async () => {
    try {
      const plan = await resolveDownloads(options.project, fetchMod)
      // A private module's go.mod is left to go by design, not missing (keys are `path@version`).
      report.unresolved = plan.unresolved.filter(key => !options.isPrivate(key.slice(0, key.lastIndexOf('@')))).length
      const paths = new Set([
        ...plan.graphMods.map(m => filePath(m, 'mod')),
        ...plan.downloads.flatMap(m => (['info', 'mod', 'zip'] as const).map(kind => filePath(m, kind)))
      ])
      const jobs = [...paths].flatMap(p => known.get(p) ?? [])
      report.planned = jobs.length
      report.plannedZips = jobs.filter(j => j.kind === 'zip').length
      // What go's cache holds (restored, or written by go meanwhile) is go's already.
      await Promise.all(jobs.map(job => (downloadCache.stored(job) ? undefined : fetchOne(job))))
    } finally {
      clearInterval(adapt)
      clearInterval(watchdog)
    }
  })()
  return {
    done: done.catch(() => undefined),
    stop: halt
  }
}
