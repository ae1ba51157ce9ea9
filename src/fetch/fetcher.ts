// Fetches module files from the healthy candidates into a store of verified files (store.ts):
// each file once (a second request for it joins the first), hedged and failed over across
// candidates, streamed to disk and checked against go.sum before it is kept. What it saw of each
// candidate is kept for the summary and for the order of the chain.
import { randomBytes } from 'node:crypto'
import pRetry from 'p-retry'
import { type Candidate, requestUrl } from '../goproxy.ts'
import { isAbsent } from '../module/absent.ts'
import { verify } from '../module/matches.ts'
import type { FileJob, FileKind } from '../module/vouched.ts'
import type { HttpClient } from '../net/client.ts'
import { cleanUpOnCancel } from '../process.ts'
import { backoff, bodyHedgeWindowMs, FLOOR_BYTES_PER_SEC, hedgeAfterMs, median, slowBodyBytesPerSec, stallWindowMs, Throughput } from '../timing.ts'
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
  /**
   * More candidates are on their way (routes still probed): a request with none left to ask
   * waits for them, until useCandidates() says the list is final.
   */
  candidatesComing?: boolean
}

const SAMPLE_WINDOW = 32
/** A transfer this large says something of a candidate's rate; a smaller one mostly of its latency. */
const RATE_SAMPLE_MIN_BYTES = 64 << 10
/** How often the requests under way are looked at for a hedge. */
const HEDGE_CHECK_MS = 50

/** One request of a race: to whom, since when, and how its answer comes. */
interface Asked {
  candidate: Candidate
  controller: AbortController
  hedge: boolean
  settled: boolean
  startedAt: number
  /** The candidate's usual first byte when it was asked. */
  typicalMs: number
  headersAt?: number
  /** From its headers on: its body's bytes, over the throughput hedge's window. */
  body?: Throughput
  /** It was hedged for its body's rate: if it loses, it stalled. */
  slowBody?: boolean
}

/** A fetch under way, which a later request for the same file joins unless it was abandoned. */
interface Running {
  outcome: Promise<Outcome>
  halt: AbortController
  urgent: boolean
}

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
  /** Body rates (bytes/s) of each candidate's recent large transfers: its usual rate. */
  private readonly rates = new Map<Candidate, number[]>()
  /** Each candidate's stalls in a row, per kind of file, since it last served one of that kind. */
  private readonly stallStreaks = new Map<Candidate, Map<FileKind, number>>()
  private readonly inFlight = new Map<string, Running>()
  private readonly stop = new AbortController()
  /** The races under way, each looked at every HEDGE_CHECK_MS for a request too slow. */
  private readonly watched = new Set<() => void>()
  private watchTimer: NodeJS.Timeout | undefined
  /** Whether more candidates may come, and the races waiting for them. */
  private candidatesComing: boolean
  private readonly waitingForCandidates: (() => void)[] = []
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
    this.candidatesComing = options.candidatesComing ?? false
  }

  /**
   * The healthy candidates once the probe is over (the fetch may start as soon as one answered):
   * requests from now on ask them in this order; what each did so far is kept. `final` false:
   * more may come still.
   */
  useCandidates(candidates: FetcherOptions['candidates'], final = true): void {
    for (const c of candidates) {
      if (!this.stats.has(c.candidate)) this.stats.set(c.candidate, emptyStats())
      if (!this.samples.has(c.candidate)) this.samples.set(c.candidate, [c.latencyMs])
    }
    this.candidates = candidates
    this.candidatesComing = !final
    for (const resume of this.waitingForCandidates.splice(0)) resume()
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
    const halt = new AbortController()
    if (job.transient) return this.fetch(job, this.transient, urgent, halt.signal, use.onFetched)
    const running = this.inFlight.get(job.path)
    if (running) {
      // Another caller's fetch: it needs no request of this caller's.
      use.onFetched?.()
      if (urgent) {
        running.urgent = true
        this.hurry(job.path)
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
    clearInterval(this.watchTimer)
    await this.hashers.abandon()
    await Promise.all([this.store.clear(), this.transient.clear()])
  }

  /** Candidates in the order to ask them: those that showed trouble last. */
  private order(): Candidate[] {
    const all = this.current
    const troubled = (c: Candidate) => isTroubled(this.stats.get(c) as CandidateStats)
    return [...all.filter(c => !troubled(c)), ...all.filter(troubled)]
  }

  /**
   * A request of `candidate`'s for a file of `kind` stalled (below the floor, overtaken before it
   * answered, or overtaken while its body was too slow), or, `served`, it served one: the streak
   * of that kind starts again.
   */
  private streak(candidate: Candidate, kind: FileKind, served = false): void {
    const stats = this.stats.get(candidate) as CandidateStats
    let kinds = this.stallStreaks.get(candidate)
    if (!kinds) this.stallStreaks.set(candidate, (kinds = new Map()))
    if (served) kinds.set(kind, 0)
    else {
      stats.stalls++
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
    }
    stats.stallStreak = Math.max(...kinds.values())
  }

  /** go waits for this file now: if its zip waits to be hashed, it goes first. */
  private hurry(jobPath: string): void {
    this.urgent.add(jobPath)
    this.goAsked.get(jobPath)?.abort()
    const zip = this.hashing.get(jobPath)
    if (zip) this.hashers.hurry(zip)
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
    if (urgent) this.urgent.add(job.path)
    const ended = AbortSignal.any([halt, this.stop.signal])
    let last: Outcome = { kind: 'failed', why: 'no candidate to ask' }
    try {
      return await pRetry(
        async () => {
          last = await this.race(job, store, once, ended)
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
      return ended.aborted ? { kind: 'failed', why: String(ended.reason) } : last
    } finally {
      this.urgent.delete(job.path)
      this.goAsked.delete(job.path)
      once()
    }
  }

  /**
   * One round: the first candidate is asked; when it fails, the next at once (failover); when it
   * is slow, the next beside it (a hedge): slower to answer than its usual first byte by a clear
   * margin, or, once the answer has started, its body slower than an eighth of the candidate's
   * usual rate (never below the floor) over a window. The first verified answer wins and the
   * others are cancelled. All saying 404/410 is an answer too.
   */
  private race(job: FileJob, store: Store, onBody: () => void, ended: AbortSignal): Promise<Outcome> {
    const requests: Asked[] = []
    const absent: number[] = []
    const why: string[] = []
    // Read anew at each step: candidates the probe adds while a request waits can take over.
    const next = () => this.order().find(c => !requests.some(r => r.candidate === c))
    let pending = 0
    let done = false
    return new Promise(resolve => {
      const finish = (outcome: Outcome, winner?: Candidate) => {
        if (done) return
        done = true
        this.unwatch(watch)
        for (const r of requests) {
          if (r.candidate === winner) {
            if (r.hedge) (this.stats.get(r.candidate) as CandidateStats).hedgesWon++
          } else {
            if (r.hedge && winner) (this.stats.get(r.candidate) as CandidateStats).hedgesLost++
            // Its answer had begun, but came too slowly to wait for: a stall all the same.
            if (r.slowBody && !r.settled) this.streak(r.candidate, job.kind)
          }
          r.controller.abort()
        }
        resolve(outcome)
      }
      const launch = (hedge: boolean) => {
        if (done) return
        const candidate = ended.aborted ? undefined : next()
        if (!candidate) {
          if (pending > 0) return
          // Routes still being probed: the first to answer takes the request (or the end, this one's failure).
          if (this.candidatesComing && !ended.aborted) {
            const resume = () => launch(false)
            this.waitingForCandidates.push(resume)
            return void ended.addEventListener('abort', resume, { once: true })
          }
          if (absent.length > 0 && absent.length === requests.length) finish({ kind: 'absent', status: absent[0] as number })
          else finish({ kind: 'failed', why: ended.aborted ? String(ended.reason) : why.join('; ') || 'no candidate to ask' })
          return
        }
        const typicalMs = median(this.samples.get(candidate) ?? []) ?? 0
        const asked: Asked = { candidate, controller: new AbortController(), hedge, settled: false, startedAt: performance.now(), typicalMs }
        requests.push(asked)
        pending++
        this.requestOne(candidate, job, store, asked.controller.signal, ended, stallWindowMs(typicalMs, this.options.stallTimeoutMs), {
          onHeaders: () => {
            const now = performance.now()
            asked.headersAt = now
            asked.body = new Throughput(bodyHedgeWindowMs(typicalMs), now)
            keepRecent(this.samples, candidate, now - asked.startedAt)
          },
          onData: bytes => asked.body?.add(bytes, performance.now()),
          onBody: size => {
            const ms = performance.now() - (asked.headersAt ?? asked.startedAt)
            if (size >= RATE_SAMPLE_MIN_BYTES && ms > 0) keepRecent(this.rates, candidate, (size * 1000) / ms)
            onBody()
          }
        }).then(result => {
          pending--
          asked.settled = true
          if (result.kind === 'file') return finish(result, candidate)
          if (result.kind === 'absent') absent.push(result.status)
          else why.push(`${candidate.display}: ${result.why}`)
          launch(false)
        })
      }
      // Only the newest request is judged: once it was hedged, the hedge is the one to watch.
      const watch = () => {
        const newest = requests.at(-1)
        if (done || !newest || newest.settled || !this.tooSlow(newest, performance.now()) || !next()) return
        newest.slowBody = newest.body !== undefined
        this.hedges++
        launch(true)
      }
      launch(false)
      if (!done) this.watch(watch)
    })
  }

  /** Whether a request is slow enough to ask the next candidate beside it. */
  private tooSlow(asked: Asked, now: number): boolean {
    if (!asked.body) return now - asked.startedAt >= hedgeAfterMs(asked.typicalMs)
    return asked.body.below(slowBodyBytesPerSec(median(this.rates.get(asked.candidate) ?? [])), now)
  }

  private watch(check: () => void): void {
    this.watched.add(check)
    if (this.watchTimer) return
    this.watchTimer = setInterval(() => {
      for (const each of this.watched) each()
    }, HEDGE_CHECK_MS)
    this.watchTimer.unref()
  }

  private unwatch(check: () => void): void {
    this.watched.delete(check)
    if (this.watched.size > 0) return
    clearInterval(this.watchTimer)
    this.watchTimer = undefined
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
    try {
      // A file for one request is named afresh: another request for the same path gets a file of its own.
      pending = store === this.transient ? store.begin({ ...job, path: randomBytes(8).toString('hex') }, false) : store.begin(job, job.kind === 'zip')
      const { temp, tree } = pending
      const answer = await this.options.client.download(requestUrl(candidate, job.path), temp, {
        signal: AbortSignal.any([own, ended]),
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
      const kept = await pending.keep(dirs, { goAsked: this.goAskedFor(job.path), stop: ended })
      if (kept.placed) this.extracted++
      stats.served++
      this.streak(candidate, job.kind, true)
      this.files++
      if (job.kind === 'zip') this.zips++
      return { kind: 'file', file: kept.file, size: answer.size }
    } catch (e) {
      // Refused, reset, silent, or overtaken by a hedge before it answered. Not when it was
      // overtaken after it answered, nor when only the fetch's close ended it: a request a hedge
      // overtook counts even if the fetch closed before this line ran (go may finish first).
      if (own.aborted ? !answered : !ended.aborted) {
        if ((e as { kind?: string }).kind === 'silent') this.streak(candidate, job.kind)
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

/** What a race hears of one of its requests. */
interface Transfer {
  onHeaders: () => void
  onData: (bytes: number) => void
  /** The body is on disk (its size), before it is verified. */
  onBody: (size: number) => void
}

/** Thrown for a round in which no candidate served the file: p-retry retries it. */
class RoundFailed extends Error {
  constructor(why: string) {
    super(why)
    this.name = 'RoundFailed'
  }
}

/** Adds a sample to a candidate's recent ones; the recent past is what counts, and the median stays cheap. */
function keepRecent(samples: Map<Candidate, number[]>, candidate: Candidate, value: number): void {
  let list = samples.get(candidate)
  if (!list) samples.set(candidate, (list = []))
  list.push(value)
  if (list.length > SAMPLE_WINDOW) list.shift()
}
