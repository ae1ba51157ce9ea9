// Racing and hedging: which candidate is asked for a file, and when the next one is asked beside
// it or after it. A round asks the first candidate in order; when it fails, the next at once
// (failover); when it is slow, the next beside it (a hedge). "Slow" is measured against what
// the race has learned of each candidate (its usual first byte and body rate), so that one slow
// proxy does not make every file wait for it, and a proxy that keeps stalling goes behind the
// others (stats.ts). What a request does once asked (the transfer, the check against go.sum, the
// store) is the fetcher's (fetcher.ts).
import type { Candidate } from '../go/goproxy.ts'
import type { FileKind } from '../module/vouched.ts'
import { bodyHedgeWindowMs, hedgeAfterMs, median, slowBodyBytesPerSec, stallWindowMs, Throughput } from '../util/timing.ts'
import { type CandidateStats, emptyStats, isTroubled } from './stats.ts'

/**
 * A file in the store (`open` opens it again as the store reached it: no link on its way, never a
 * FIFO or device; `release`, for a file fetched for one request, removes it once its answer is
 * over), a proxy's "no such module" (404/410) from every candidate, or a failure.
 */
export type Outcome = { kind: 'file'; file: string; size: number; open: () => number; release?: () => void } | { kind: 'absent'; status: number } | { kind: 'failed'; why: string }

/** Healthy URL candidates in chain order, each with its probe latency. */
export type RankedCandidates = { candidate: Candidate; latencyMs: number }[]

/** What a race hears of one of its requests. */
export interface Transfer {
  onHeaders: () => void
  onData: (bytes: number) => void
  /** The body is on disk (its size), before it is verified. */
  onBody: (size: number) => void
}

/**
 * One candidate asked for the file: `own` ends the request when another of its race won;
 * `windowMs` is the window over which its transfer must keep above the floor.
 */
export type Ask = (candidate: Candidate, own: AbortSignal, windowMs: number, events: Transfer) => Promise<Outcome>

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

/** The candidates in chain order, what the races learned of each, and the races under way. */
export class CandidateRaces {
  readonly stats: Map<Candidate, CandidateStats>
  /** Requests asked beside a slow one. */
  hedges = 0
  /** Healthy candidates in chain order: those the fetch started with, until useCandidates(). */
  private candidates: RankedCandidates
  /** Time to first byte per candidate, seeded with its probe latency. */
  private readonly samples: Map<Candidate, number[]>
  /** Body rates (bytes/s) of each candidate's recent large transfers: its usual rate. */
  private readonly rates = new Map<Candidate, number[]>()
  /** Each candidate's stalls in a row, per kind of file, since it last served one of that kind. */
  private readonly stallStreaks = new Map<Candidate, Map<FileKind, number>>()
  /** The races under way, each looked at every HEDGE_CHECK_MS for a request too slow. */
  private readonly watched = new Set<() => void>()
  private watchTimer: NodeJS.Timeout | undefined
  /** Whether more candidates may come, and the races waiting for them. */
  private candidatesComing: boolean
  private readonly waitingForCandidates: (() => void)[] = []
  private readonly stallTimeoutMs: number

  constructor(candidates: RankedCandidates, options: { stallTimeoutMs: number; candidatesComing?: boolean }) {
    this.candidates = candidates
    this.stats = new Map(candidates.map(c => [c.candidate, emptyStats()]))
    this.samples = new Map(candidates.map(c => [c.candidate, [c.latencyMs]]))
    this.candidatesComing = options.candidatesComing ?? false
    this.stallTimeoutMs = options.stallTimeoutMs
  }

  /** The candidates from now on, in chain order; what each did so far is kept. `final` false: more may come still. */
  useCandidates(candidates: RankedCandidates, final = true): void {
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
   * A request of `candidate`'s for a file of `kind` stalled (below the floor, overtaken before it
   * answered, or overtaken while its body was too slow), or, `served`, it served one: the streak
   * of that kind starts again.
   */
  streak(candidate: Candidate, kind: FileKind, served = false): void {
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

  /**
   * One round for a file of `kind`: the first candidate is asked; when it fails, the next at once
   * (failover); when it is slow, the next beside it (a hedge): slower to answer than its usual
   * first byte by a clear margin, or, once the answer has started, its body slower than an eighth
   * of the candidate's usual rate (never below the floor) over a window. The first verified
   * answer wins and the others are cancelled. All saying 404/410 is an answer too. `onBody`: a
   * request's body is on disk, before it is verified.
   */
  race(kind: FileKind, ask: Ask, ended: AbortSignal, onBody: () => void): Promise<Outcome> {
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
            if (r.slowBody && !r.settled) this.streak(r.candidate, kind)
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
        ask(candidate, asked.controller.signal, stallWindowMs(typicalMs, this.stallTimeoutMs), {
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
          // A file kept after another request won (its check was under way): nobody will send it,
          // so a one-off one is given back to the budget and removed now.
          if (done && result.kind === 'file') return result.release?.()
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

  /** Stops looking at the races under way (the fetch was closed: they end by their own signals). */
  close(): void {
    clearInterval(this.watchTimer)
  }

  /** Candidates in the order to ask them: those that showed trouble last. */
  private order(): Candidate[] {
    const all = this.current
    const troubled = (c: Candidate) => isTroubled(this.stats.get(c) as CandidateStats)
    return [...all.filter(c => !troubled(c)), ...all.filter(troubled)]
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
}

/** Adds a sample to a candidate's recent ones; the recent past is what counts, and the median stays cheap. */
function keepRecent(samples: Map<Candidate, number[]>, candidate: Candidate, value: number): void {
  let list = samples.get(candidate)
  if (!list) samples.set(candidate, (list = []))
  list.push(value)
  if (list.length > SAMPLE_WINDOW) list.shift()
}
