// Fetches module files from the healthy candidates into a store of verified files (store.ts):
// each file once (a second request for it joins the first), in rounds retried after a backoff,
// each round a race over the candidates (race.ts), each answer streamed to disk and checked
// against go.sum (verifier.ts) before it is kept. What it saw of each candidate is kept for the
// summary and for the order of the chain.
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import pRetry from 'p-retry'
import { type Candidate, requestUrl } from '../go/goproxy.ts'
import { isAbsent } from '../module/absent.ts'
import type { FileJob } from '../module/vouched.ts'
import type { HttpClient } from '../net/client.ts'
import { formatDuration } from '../util/duration.ts'
import { formatSize } from '../util/size.ts'
import { cleanUpOnCancel } from '../util/process.ts'
import { backoff, FLOOR_BYTES_PER_SEC } from '../util/timing.ts'
import { CandidateRaces, type Outcome, type RankedCandidates, type Transfer } from './race.ts'
import type { CandidateStats } from './stats.ts'
import { type Pending, Store } from './store.ts'
import { Verifier } from './verifier.ts'

export interface FetcherOptions {
  client: HttpClient
  /** Healthy URL candidates in chain order, each with its probe latency. */
  candidates: RankedCandidates
  /** Where verified files are kept: go's own download cache, where it is writable (each verified zip's files are then written out where go extracts them). */
  store: Store
  /** Where files fetched for one request only go (never go's cache). */
  transientDir: string
  /** The most bytes files fetched for one request may hold on disk at once, under way or waiting to be sent; ONE_OFF_BUDGET_BYTES unless given. */
  oneOffBudgetBytes?: number
  /** Threads that hash (and write out) zips; one unless given. */
  hashThreads?: number
  /** Rounds over the candidates per file. */
  rounds: number
  backoffMs: number
  stallTimeoutMs: number
  /**
   * The longest one file may take, its rounds and backoffs included: go's request is answered
   * within it whatever the candidates do. For the job's proxy and serve, where no watchdog stands
   * behind go: a candidate that keeps just above the floor would otherwise hold a request for as
   * long as the file's size allows (500 MiB at 1 KiB/s: six days). None unless given: the step's
   * attempts have their own `timeout`.
   */
  fileTimeoutMs?: number
  /**
   * More candidates are on their way (routes still probed): a request with none left to ask
   * waits for them, until useCandidates() says the list is final.
   */
  candidatesComing?: boolean
}

/** A fetch under way, which a later request for the same file joins unless it was abandoned. */
interface Running {
  outcome: Promise<Outcome>
  halt: AbortController
  urgent: boolean
}

/**
 * The disk files fetched for one request (a file go.sum does not name, a checksum-database
 * lookup) may hold at once, fetched or being fetched. Each is removed once its answer is over,
 * but its client decides when that is: anyone with the secret could ask for 256 large zips
 * (each up to go's 500 MiB) and read none of them. A one-off download is given up as it takes
 * the total past the budget (its rounds, retried after their backoff, meet the same), and go gets
 * a 502 and moves on down the chain; go itself asks few such files at a time.
 */
export const ONE_OFF_BUDGET_BYTES = 1 << 30

export class Fetcher {
  /** Bytes received from candidates so far: progress, whatever finishes. */
  bytes = 0
  /** Files fetched, verified and kept, and the zips among them. */
  files = 0
  zips = 0
  retries = 0
  rejected = 0
  /** Zips whose files were written out for go (it then skips their extraction). */
  extracted = 0
  private readonly options: FetcherOptions
  private readonly races: CandidateRaces
  private readonly verifier: Verifier
  private readonly inFlight = new Map<string, Running>()
  private readonly stop = new AbortController()
  private readonly store: Store
  private readonly transient: Store
  /** Bytes the one-off files hold on disk now (under way, or kept until released). */
  private oneOffBytes = 0
  private readonly oneOffBudget: number
  private readonly forgetCleanup: () => void

  constructor(options: FetcherOptions) {
    this.options = options
    this.races = new CandidateRaces(options.candidates, options)
    this.verifier = new Verifier(options.hashThreads)
    this.store = options.store
    this.transient = new Store({ root: options.transientDir, downloads: '' })
    this.oneOffBudget = options.oneOffBudgetBytes ?? ONE_OFF_BUDGET_BYTES
    this.forgetCleanup = cleanUpOnCancel(() => this.close())
  }

  /** What each candidate did so far. */
  get stats(): Map<Candidate, CandidateStats> {
    return this.races.stats
  }

  /** Requests asked beside a slow one. */
  get hedges(): number {
    return this.races.hedges
  }

  /**
   * The healthy candidates once the probe is over (the fetch may start as soon as one answered):
   * requests from now on ask them in this order; what each did so far is kept. `final` false:
   * more may come still.
   */
  useCandidates(candidates: RankedCandidates, final = true): void {
    this.races.useCandidates(candidates, final)
  }

  /** The candidates in use, in chain order. */
  get current(): Candidate[] {
    return this.races.current
  }

  /** Why a one-off request was refused, or given up. */
  private overBudget(): string {
    return `busy: the files fetched here for one request already hold ${formatSize(this.oneOffBudget)} of disk, the most they may`
  }

  /**
   * A file: from the store, joined with a fetch under way, or fetched now. A `speculative` caller
   * (the fetch of go's download set) is told by `onFetched` when the bytes are on disk, or the
   * fetch is over, so that it can start the next request while this one is verified; anyone
   * else is go, waiting: what it asks for is hashed first. `signal` ends a fetch for one request
   * (a transient job) early; a file others may join is fetched to the end whatever it says.
   */
  get(job: FileJob, use: { speculative?: boolean; onFetched?: () => void; signal?: AbortSignal } = {}): Promise<Outcome> {
    const urgent = !use.speculative
    const halt = new AbortController()
    // A file for one request is its caller's alone: `signal` (its client gone) ends its fetch.
    if (job.transient) return this.fetch(job, this.transient, urgent, use.signal ? AbortSignal.any([halt.signal, use.signal]) : halt.signal, use.onFetched)
    const running = this.inFlight.get(job.path)
    if (running) {
      // Another caller's fetch: it needs no request of this caller's.
      use.onFetched?.()
      if (urgent) {
        running.urgent = true
        this.verifier.hurry(job.path)
      }
      return running.outcome
    }
    const stored = this.store.stored(job)
    if (stored) use.onFetched?.()
    const entry: Running = {
      outcome: (stored ? Promise.resolve<Outcome>({ kind: 'file', ...stored }) : this.fetch(job, this.store, urgent, halt.signal, use.onFetched)).finally(() => {
        if (this.inFlight.get(job.path) === entry) this.inFlight.delete(job.path)
      }),
      halt,
      urgent
    }
    this.inFlight.set(job.path, entry)
    return entry.outcome
  }

  /**
   * Gives up the fetches go was waiting for: called when the watchdog ended go's attempt, which
   * made no useful progress, so these did not either. The next attempt's requests start anew
   * (with what the fetch learned of each candidate meanwhile) instead of joining them.
   */
  abandon(): number {
    let abandoned = 0
    for (const [jobPath, running] of this.inFlight) {
      if (!running.urgent) continue
      this.inFlight.delete(jobPath)
      running.halt.abort('abandoned: the attempt that waited for it made no progress')
      abandoned++
    }
    return abandoned
  }

  /** Ends every request under way, and removes what they left half-done; later calls fail at once. */
  async close(): Promise<void> {
    this.forgetCleanup()
    this.stop.abort('the fetch was closed')
    this.races.close()
    await this.verifier.abandon()
    await Promise.all([this.store.clear(), this.transient.clear()])
    this.oneOffBytes = 0
  }

  /**
   * Rounds over the candidates (a race each), driven by p-retry: a round that found no candidate
   * able to serve the file is retried after a backoff, up to `rounds` in all. `halt` ends it
   * early (abandoned), as does the fetch's close.
   */
  private async fetch(job: FileJob, store: Store, urgent: boolean, halt: AbortSignal, onFetched = () => {}): Promise<Outcome> {
    let fetched = false
    const once = () => {
      if (!fetched) onFetched()
      fetched = true
    }
    if (urgent) this.verifier.goWaitsFor(job.path)
    const late = this.options.fileTimeoutMs ? deadline(this.options.fileTimeoutMs, job.path) : undefined
    const ended = AbortSignal.any([halt, this.stop.signal, ...(late ? [late.signal] : [])])
    let last: Outcome = { kind: 'failed', why: 'no candidate to ask' }
    try {
      return await pRetry(
        async () => {
          last = await this.races.race(job.kind, (candidate, own, windowMs, events) => this.requestOne(candidate, job, store, own, ended, windowMs, events), ended, once)
          if (last.kind === 'failed') throw new RoundFailed(last.why)
          return last
        },
        {
          retries: this.options.rounds - 1,
          ...backoff(this.options.backoffMs),
          signal: ended,
          unref: true,
          onFailedAttempt: ({ retriesLeft }) => {
            if (retriesLeft > 0) this.retries++
          }
        }
      )
    } catch {
      // A file kept just as the fetch ended (its client gone, its deadline past, while it was
      // checked): p-retry drops the round's answer, but the file is there, and a one-off one holds
      // its bytes against the budget until released. Handed on, its taker sends it or releases it.
      // (`last` is set in the round's closure: TypeScript does not see it change.)
      const got = last as Outcome
      if (got.kind === 'file') return got
      return ended.aborted ? { kind: 'failed', why: String(ended.reason) } : last
    } finally {
      late?.clear()
      this.verifier.done(job.path)
      once()
    }
  }

  /**
   * One candidate asked for one file: streamed to a partial file, verified, kept. `own` ends it
   * when another request of its race won; `ended` when the fetch was closed or abandoned.
   */
  private async requestOne(candidate: Candidate, job: FileJob, store: Store, own: AbortSignal, ended: AbortSignal, windowMs: number, events: Transfer): Promise<Outcome> {
    const stats = this.stats.get(candidate) as CandidateStats
    let answered = false
    stats.requests++
    let pending: Pending | undefined
    // A one-off file's bytes count against the budget from the first one on, until it is released.
    const oneOff = store === this.transient
    const over = new AbortController()
    let counted = 0
    let handedOn = false
    try {
      // A file for one request is named afresh: another request for the same path gets a file of its own.
      pending = oneOff ? store.begin({ ...job, path: randomBytes(8).toString('hex') }, false) : store.begin(job, job.kind === 'zip')
      const { temp, tree } = pending
      const answer = await this.options.client.download(requestUrl(candidate, job.path), temp, {
        signal: AbortSignal.any([own, ended, over.signal]),
        maxBytes: job.maxBytes,
        floor: { bytesPerSec: FLOOR_BYTES_PER_SEC, windowMs },
        onHeaders: () => {
          answered = true
          events.onHeaders()
        },
        onData: bytes => {
          this.bytes += bytes
          stats.bytes += bytes
          events.onData(bytes)
          if (!oneOff) return
          counted += bytes
          this.oneOffBytes += bytes
          if (this.oneOffBytes > this.oneOffBudget) over.abort(this.overBudget())
        }
      })
      // How a proxy says it lacks a module: no fault of its own.
      if (isAbsent(answer.status)) {
        stats.notFound++
        return { kind: 'absent', status: answer.status }
      }
      if (answer.status !== 200) {
        stats.failures++
        return { kind: 'failed', why: `HTTP ${answer.status}` }
      }
      events.onBody(answer.size)
      const { problem, dirs } = await this.verifier.check(job, temp, answer.size, tree)
      if (problem) {
        // The fetch's close abandons the hashing and removes what waits to be kept: a check it
        // cut short says nothing of the candidate's bytes.
        if (!this.stop.signal.aborted) {
          stats.rejected++
          this.rejected++
        }
        return { kind: 'failed', why: problem }
      }
      // Another request for the same file may have won meanwhile: the file is the same either way.
      const kept = await pending.keep(dirs, { goAsked: this.verifier.goAskedFor(job.path), stop: ended })
      if (kept.placed) this.extracted++
      stats.served++
      this.races.streak(candidate, job.kind, true)
      this.files++
      if (job.kind === 'zip') this.zips++
      if (!oneOff) return { kind: 'file', file: kept.file, size: answer.size, open: kept.open }
      handedOn = true
      let released = false
      const release = () => {
        if (released) return
        released = true
        this.oneOffBytes -= counted
        void rm(kept.file, { force: true })
      }
      return { kind: 'file', file: kept.file, size: answer.size, open: kept.open, release }
    } catch (e) {
      // The budget, not the candidate, ended it.
      if (over.signal.aborted) return { kind: 'failed', why: String(over.signal.reason) }
      // Refused, reset, silent, or overtaken by a hedge before it answered. Not when it was
      // overtaken after it answered, nor when only the fetch's close ended it: a request a hedge
      // overtook counts even if the fetch closed before this line ran (go may finish first).
      if (own.aborted ? !answered : !ended.aborted) {
        if ((e as { kind?: string }).kind === 'silent') this.races.streak(candidate, job.kind)
        else stats.failures++
      }
      return { kind: 'failed', why: (e as Error).message }
    } finally {
      if (oneOff && !handedOn) this.oneOffBytes -= counted
      await pending?.end()
    }
  }
}

/** A signal that ends a file's fetch `ms` from now, saying why, and the means to call it off once the fetch is over. */
function deadline(ms: number, file: string): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(`no candidate delivered ${file} within ${formatDuration(ms)} (the timeout)`), ms)
  return { signal: controller.signal, clear: () => clearTimeout(timer) }
}

/** Thrown for a round in which no candidate served the file: p-retry retries it. */
class RoundFailed extends Error {
  constructor(why: string) {
    super(why)
    this.name = 'RoundFailed'
  }
}
