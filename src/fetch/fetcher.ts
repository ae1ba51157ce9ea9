// Fetches module files from the healthy candidates into a store of verified files (store.ts):
// each file once (a second request for it joins the first), hedged and failed over across
// candidates, streamed to disk and checked against go.sum before it is kept. What it saw of each
// candidate is kept for the summary and for the order of the chain.
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Candidate, requestUrl } from '../goproxy.ts'
import { isAbsent } from '../module/absent.ts'
import { verify } from '../module/matches.ts'
import type { FileJob } from '../module/vouched.ts'
import type { HttpClient } from '../net/client.ts'
import { cleanUpOnCancel } from '../process.ts'
import { backoffDelay, hedgeAfterMs, median, silenceLimitMs } from '../timing.ts'
import { type CandidateStats, emptyStats, isTroubled } from './stats.ts'
import { type Pending, Store } from './store.ts'
import { Hashers } from './hashers.ts'

/** A file in the store, a proxy's "no such module" (404/410) from every candidate, or a failure. */
export type Outcome = { kind: 'file'; file: string; size: number } | { kind: 'absent'; status: number } | { kind: 'failed'; why: string }

export interface FetcherOptions {
  client: HttpClient
  /** Healthy URL candidates in chain order, each with its probe latency. */
  candidates: { candidate: Candidate; latencyMs: number }[]
  /** Where verified files are kept: go's own download cache, where it is writable (each verified zip's files are then written out where go extracts them). */
  store: Store
  /** Where files fetched for one request only go (never go's cache). */
  transientDir: string
  /** Threads that hash (and write out) zips; one unless given. */
  hashThreads?: number
  /** Rounds over the candidates per file. */
  rounds: number
  backoffMs: number
  stallTimeoutMs: number
}

const SAMPLE_WINDOW = 32

export class Fetcher {
  readonly stats: Map<Candidate, CandidateStats>
  /** Bytes received from candidates so far: progress, whatever finishes. */
  bytes = 0
  /** Files fetched, verified and kept, and the zips among them. */
  files = 0
  zips = 0
  retries = 0
  hedges = 0
  rejected = 0
  /** Zips whose files were written out for go (it then skips their extraction). */
  extracted = 0
  private readonly options: FetcherOptions
  /** Healthy candidates in chain order: those the fetch started with, until useCandidates(). */
  private candidates: FetcherOptions['candidates']
  private readonly samples: Map<Candidate, number[]>
  private readonly inFlight = new Map<string, Promise<Outcome>>()
  private readonly stop = new AbortController()
  /** Zips are verified off the main thread, one per hashing thread at a time. */
  private readonly hashers: Hashers
  /** Files go waits for (by path): their zips are hashed before the speculative ones. */
  private readonly urgent = new Set<string>()
  /** Aborted once go waits for the file at a path: for a zip, go then holds the module's lock (store.ts). */
  private readonly goAsked = new Map<string, AbortController>()
  /** The zip on disk that waits to be hashed (or is being hashed) for each file path. */
  private readonly hashing = new Map<string, string>()
  private readonly store: Store
  private readonly transient: Store
  private readonly forgetCleanup: () => void

  constructor(options: FetcherOptions) {
    this.options = options
    this.hashers = new Hashers(options.hashThreads)
    this.store = options.store
    this.transient = new Store({ root: options.transientDir, downloads: '' })
    this.forgetCleanup = cleanUpOnCancel(() => this.close())
    this.candidates = options.candidates
    this.stats = new Map(options.candidates.map(c => [c.candidate, emptyStats()]))
    // Time to first byte per candidate, seeded with its probe latency.
    this.samples = new Map(options.candidates.map(c => [c.candidate, [c.latencyMs]]))
  }

  /**
   * The healthy candidates once the probe is over (the fetch may start as soon as one answered):
   * requests from now on ask them in this order; what each did so far is kept.
   */
  useCandidates(candidates: FetcherOptions['candidates']): void {
    for (const c of candidates) {
      if (!this.stats.has(c.candidate)) this.stats.set(c.candidate, emptyStats())
      if (!this.samples.has(c.candidate)) this.samples.set(c.candidate, [c.latencyMs])
    }
    this.candidates = candidates
  }

  /** The candidates in use, in chain order. */
  get current(): Candidate[] {
    return this.candidates.map(c => c.candidate)
  }

  /**
   * A file: from the store, joined with a fetch under way, or fetched now. A `speculative` caller
   * (the fetch of go's download set) is told by `onFetched` when the bytes are on disk, or the
   * fetch is over, so that it can start the next request while this one is verified; anyone
   * else is go, waiting: what it asks for is hashed first.
   */
  get(job: FileJob, use: { speculative?: boolean; onFetched?: () => void } = {}): Promise<Outcome> {
    const urgent = !use.speculative
    if (job.transient) return this.fetch(job, this.transient, urgent, use.onFetched)
    const running = this.inFlight.get(job.path)
    if (running) {
      // Another caller's fetch: it needs no request of this caller's.
      use.onFetched?.()
      if (urgent) this.hurry(job.path)
      return running
    }
    const stored = this.store.stored(job)
    if (stored) use.onFetched?.()
    const fetching = (stored ? Promise.resolve<Outcome>({ kind: 'file', ...stored }) : this.fetch(job, this.store, urgent, use.onFetched)).finally(() => this.inFlight.delete(job.path))
    this.inFlight.set(job.path, fetching)
    return fetching
  }

  /** Ends every request under way, and removes what they left half-done; later calls fail at once. */
  async close(): Promise<void> {
    this.forgetCleanup()
    this.stop.abort('the fetch was closed')
    await this.hashers.abandon()
    await Promise.all([this.store.clear(), this.transient.clear()])
  }

  /** Candidates in the order to ask them: those that showed trouble last. */
  private order(): Candidate[] {
    const all = this.current
    const troubled = (c: Candidate) => isTroubled(this.stats.get(c) as CandidateStats)
    return [...all.filter(c => !troubled(c)), ...all.filter(troubled)]
  }

  /** go waits for this file now: if its zip waits to be hashed, it goes first. */
  private hurry(jobPath: string): void {
    this.urgent.add(jobPath)
    this.goAsked.get(jobPath)?.abort()
    const zip = this.hashing.get(jobPath)
    if (zip) this.hashers.hurry(zip)
  }

  private async fetch(job: FileJob, store: Store, urgent: boolean, onFetched = () => {}): Promise<Outcome> {
    let fetched = false
    const once = () => {
      if (!fetched) onFetched()
      fetched = true
    }
    if (urgent) this.urgent.add(job.path)
    let last: Outcome = { kind: 'failed', why: 'no candidate to ask' }
    try {
      for (let round = 0; round < this.options.rounds && !this.stop.signal.aborted; round++) {
        if (round > 0) {
          this.retries++
          await sleep(backoffDelay(round, this.options.backoffMs), undefined, { signal: this.stop.signal }).catch(() => undefined)
        }
        last = await this.race(job, store, once)
        if (last.kind !== 'failed') return last
      }
      return last
    } finally {
      this.urgent.delete(job.path)
      this.goAsked.delete(job.path)
      once()
    }
  }

  /**
   * One round: the first candidate is asked; when it fails, the next at once (failover); when it
   * is slower to answer than its usual by a clear margin, the next beside it (a hedge). The first
   * verified answer wins and the others are cancelled. All saying 404/410 is an answer too.
   */
  private race(job: FileJob, store: Store, onBody: () => void): Promise<Outcome> {
    const requests: { candidate: Candidate; controller: AbortController; hedge: boolean }[] = []
    const absent: number[] = []
    const why: string[] = []
    // Read anew at each step: candidates the probe adds while a request waits can take over.
    const next = () => this.order().find(c => !requests.some(r => r.candidate === c))
    let pending = 0
    let done = false
    let hedgeTimer: NodeJS.Timeout | undefined
    return new Promise(resolve => {
      const finish = (outcome: Outcome, winner?: Candidate) => {
        if (done) return
        done = true
        clearTimeout(hedgeTimer)
        for (const r of requests) {
          if (r.candidate === winner) {
            if (r.hedge) (this.stats.get(r.candidate) as CandidateStats).hedgesWon++
          } else if (r.hedge && winner) (this.stats.get(r.candidate) as CandidateStats).hedgesLost++
          r.controller.abort()
        }
        resolve(outcome)
      }
      const launch = (hedge: boolean) => {
        if (done) return
        const candidate = this.stop.signal.aborted ? undefined : next()
        if (!candidate) {
          if (pending > 0) return
          if (absent.length > 0 && absent.length === requests.length) finish({ kind: 'absent', status: absent[0] as number })
          else finish({ kind: 'failed', why: why.join('; ') || 'no candidate to ask' })
          return
        }
        const typical = median(this.samples.get(candidate) ?? []) ?? 0
        const controller = new AbortController()
        requests.push({ candidate, controller, hedge })
        pending++
        clearTimeout(hedgeTimer)
        // Until the answer starts: the next candidate beside it, as soon as there is one.
        const armHedge = () => {
          hedgeTimer = setTimeout(() => {
            if (!next()) return armHedge()
            this.hedges++
            launch(true)
          }, hedgeAfterMs(typical))
        }
        armHedge()
        const started = performance.now()
        this.requestOne(candidate, job, store, controller.signal, silenceLimitMs(typical, this.options.stallTimeoutMs), onBody, () => {
          clearTimeout(hedgeTimer)
          const samples = this.samples.get(candidate) as number[]
          samples.push(performance.now() - started)
          // The recent past is what counts, and the median stays cheap.
          if (samples.length > SAMPLE_WINDOW) samples.shift()
        }).then(result => {
          pending--
          if (result.kind === 'file') return finish(result, candidate)
          if (result.kind === 'absent') absent.push(result.status)
          else why.push(`${candidate.display}: ${result.why}`)
          launch(false)
        })
      }
      launch(false)
    })
  }

  private async requestOne(candidate: Candidate, job: FileJob, store: Store, signal: AbortSignal, silenceMs: number, onBody: () => void, onHeaders: () => void): Promise<Outcome> {
    const stats = this.stats.get(candidate) as CandidateStats
    let answered = false
    stats.requests++
    let pending: Pending | undefined
    try {
      // A file for one request is named afresh: another request for the same path gets a file of its own.
      pending = store === this.transient ? store.begin({ ...job, path: randomBytes(8).toString('hex') }, false) : store.begin(job, job.kind === 'zip')
      const { temp, tree } = pending
      const answer = await this.options.client.download(requestUrl(candidate, job.path), temp, {
        signal: AbortSignal.any([signal, this.stop.signal]),
        maxBytes: job.maxBytes,
        idleMs: silenceMs,
        onHeaders: () => {
          answered = true
          onHeaders()
        },
        onData: bytes => {
          this.bytes += bytes
          stats.bytes += bytes
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
      onBody()
      let dirs: string[] | undefined
      const problem = await verify(job, temp, async zip => {
        this.hashing.set(job.path, zip)
        const precedence = { size: answer.size, urgent: this.urgent.has(job.path) }
        try {
          if (!tree) return await this.hashers.zip(zip, precedence)
          const hashed = await this.hashers.zipInto(zip, tree, precedence)
          dirs = hashed.dirs
          return hashed.hash
        } finally {
          if (this.hashing.get(job.path) === zip) this.hashing.delete(job.path)
        }
      })
      if (problem) {
        stats.rejected++
        this.rejected++
        return { kind: 'failed', why: problem }
      }
      // Another request for the same file may have won meanwhile: the file is the same either way.
      const kept = await pending.keep(dirs, { goAsked: this.goAskedFor(job.path), stop: this.stop.signal })
      if (kept.placed) this.extracted++
      stats.served++
      this.files++
      if (job.kind === 'zip') this.zips++
      return { kind: 'file', file: kept.file, size: answer.size }
    } catch (e) {
      // Refused, reset, silent, or overtaken by a hedge before it answered. Not when it was
      // overtaken after it answered, nor when only the fetch's close ended it: a request a hedge
      // overtook counts even if the fetch closed before this line ran (go may finish first).
      const overtaken = signal.aborted
      if (overtaken ? !answered : !this.stop.signal.aborted) {
        if ((e as { kind?: string }).kind === 'silent') stats.stalls++
        else stats.failures++
      }
      return { kind: 'failed', why: (e as Error).message }
    } finally {
      await pending?.end()
    }
  }

  /** Aborted once go waits for the file at `jobPath` (at once if it does already). */
  private goAskedFor(jobPath: string): AbortSignal {
    let asked = this.goAsked.get(jobPath)
    if (!asked) {
      asked = new AbortController()
      this.goAsked.set(jobPath, asked)
      if (this.urgent.has(jobPath)) asked.abort()
    }
    return asked.signal
  }
}
