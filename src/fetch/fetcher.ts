// Fetches module files from the healthy candidates into a store of verified files: each file
// once (a second request for it joins the first), hedged and failed over across candidates,
// streamed to disk and checked against go.sum before it is kept. What it saw of each candidate
// is kept for the summary and for the order of the chain. Its file operations are synchronous:
// each takes microseconds on a local disk, while an asynchronous one wakes a thread-pool thread,
// which on 2 busy cores costs several times as much (the hashing threads need those cores).
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import path from 'node:path'
import pRetry from 'p-retry'
import { type Candidate, requestUrl } from '../goproxy.ts'
import { treePath } from '../cache/layout.ts'
import { goModHash } from '../gosum.ts'
import type { HttpClient } from '../net/client.ts'
import { backoff, bodyHedgeWindowMs, FLOOR_BYTES_PER_SEC, hedgeAfterMs, median, slowBodyBytesPerSec, stallWindowMs, Throughput } from '../timing.ts'
import { type CandidateStats, emptyStats, isTroubled } from './stats.ts'
import { zipFileHash } from './zip-hash.ts'
import { Hashers } from './hashers.ts'

/** `other`: a version list, `@latest`, or a file go.sum does not name: passed through for go to check. */
export type FileKind = 'info' | 'mod' | 'zip' | 'other'

export interface FileJob {
  module: string
  version: string
  kind: FileKind
  /** go.sum's h1: hash the bytes must match; absent for an .info, and for a file go.sum does not name. */
  hash?: string
  /** Under the store (and a proxy): `<escaped module>/@v/<escaped version>.<kind>`. */
  path: string
  /** Not kept: fetched for one request, into a file of its own that the caller removes. */
  transient?: boolean
}

/** A file in the store, a proxy's "no such module" (404/410) from every candidate, or a failure. */
export type Outcome = { kind: 'file'; file: string; size: number } | { kind: 'absent'; status: number } | { kind: 'failed'; why: string }

export interface FetcherOptions {
  client: HttpClient
  /** Healthy URL candidates in chain order, each with its probe latency. */
  candidates: { candidate: Candidate; latencyMs: number }[]
  /** Where verified files are kept, in the proxy layout: go's own download cache, where it is writable. */
  storeDir: string
  /** Where files fetched for one request only go (never go's cache). */
  transientDir: string
  /**
   * When the store is go's download cache: go's module cache, where each verified zip's files
   * are written out as go would extract them, and whether go would leave its directories writable.
   */
  extractTo?: { modcache: string; writable: boolean }
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

const MAX_FILE_BYTES = 512 << 20
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
  /** Store directories made so far. */
  private readonly dirsMade = new Set<string>()
  /** The zip on disk that waits to be hashed (or is being hashed) for each file path. */
  private readonly hashing = new Map<string, string>()

  constructor(options: FetcherOptions) {
    this.options = options
    this.hashers = new Hashers(options.hashThreads)
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
    if (job.transient) return this.fetch(job, path.join(this.options.transientDir, randomBytes(8).toString('hex')), urgent, halt.signal, use.onFetched)
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
    const file = path.join(this.options.storeDir, job.path)
    const stored = isComplete(this.options.storeDir, job)
    if (stored) use.onFetched?.()
    const entry: Running = {
      outcome: (stored ? stat(file).then(s => ({ kind: 'file', file, size: s.size }) as Outcome) : this.fetch(job, file, urgent, halt.signal, use.onFetched)).finally(() => {
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

  /** Ends every request under way; later calls fail at once. */
  close(): void {
    this.stop.abort('the fetch was closed')
    clearInterval(this.watchTimer)
    void this.hashers.close()
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
    const zip = this.hashing.get(jobPath)
    if (zip) this.hashers.hurry(zip)
  }

  /**
   * Rounds over the candidates (a race each), driven by p-retry: a round that found no candidate
   * able to serve the file is retried after a backoff, up to `rounds` in all. `halt` ends it
   * early (abandoned), as does the fetch's close.
   */
  private async fetch(job: FileJob, file: string, urgent: boolean, halt: AbortSignal, onFetched = () => {}): Promise<Outcome> {
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
          last = await this.race(job, file, once, ended)
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
  private race(job: FileJob, file: string, onBody: () => void, ended: AbortSignal): Promise<Outcome> {
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
        this.requestOne(candidate, job, file, asked.controller.signal, ended, stallWindowMs(typicalMs, this.options.stallTimeoutMs), {
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
  private async requestOne(candidate: Candidate, job: FileJob, file: string, own: AbortSignal, ended: AbortSignal, windowMs: number, events: Transfer): Promise<Outcome> {
    const stats = this.stats.get(candidate) as CandidateStats
    const temp = partial(file)
    const tree = job.kind === 'zip' && job.hash && this.options.extractTo ? treeFor(this.options.extractTo.modcache, job) : undefined
    let answered = false
    // What is left to remove afterwards: the partial file until it is renamed, the tree until it is placed.
    let kept = false
    let placed = false
    stats.requests++
    try {
      const dir = path.dirname(file)
      // Made once: a recursive mkdir of a directory that exists still costs a call per level.
      if (!this.dirsMade.has(dir)) {
        mkdirSync(dir, { recursive: true })
        this.dirsMade.add(dir)
      }
      const answer = await this.options.client.download(requestUrl(candidate, job.path), temp, {
        signal: AbortSignal.any([own, ended]),
        maxBytes: MAX_FILE_BYTES,
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
      // 404 and 410 are how a proxy says it lacks a module: no fault of its own.
      if (answer.status === 404 || answer.status === 410) {
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
          const hashed = await this.hashers.zipInto(zip, { dir: tree.temp, prefix: `${job.module}@${job.version}/` }, precedence)
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
      // The module's files before its zip and .ziphash: go looks for them only once it has both.
      placed = tree !== undefined && dirs !== undefined && placeTree(tree, dirs, this.options.extractTo?.writable ?? true)
      if (placed) this.extracted++
      // Another request for the same file may have won meanwhile: the file is the same either way.
      renameSync(temp, file)
      kept = true
      // As go writes its download cache: the zip's hash last, so that go trusts the zip only whole.
      if (job.kind === 'zip' && job.hash) writeAtomically(`${file}hash`, job.hash)
      stats.served++
      this.streak(candidate, job.kind, true)
      this.files++
      if (job.kind === 'zip') this.zips++
      return { kind: 'file', file, size: answer.size }
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
      if (!kept) rmSync(temp, { force: true })
      // Left when the zip was refused, or the module was in place already: a whole module's files, too many to remove on the main thread.
      if (tree && !placed) await rm(tree.temp, { recursive: true, force: true })
    }
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

/**
 * Where go extracts the job's module, and a directory beside it to write the files into first.
 * Named as go names its own leftovers (`<dir>.tmp-*`), which go removes when it extracts the
 * module itself.
 */
function treeFor(modcache: string, job: FileJob): { final: string; temp: string } {
  const final = path.join(modcache, treePath(job.module, job.version))
  return { final, temp: `${final}.tmp-${uniqueSuffix()}` }
}

/**
 * Moves a verified module's files into place, made read-only as go makes them unless they stay
 * writable. False when the module's directory is there already (another request's, or go's):
 * that one stays.
 */
function placeTree(tree: { final: string; temp: string }, dirs: string[], writable: boolean): boolean {
  try {
    renameSync(tree.temp, tree.final)
  } catch {
    return false
  }
  if (!writable) {
    for (const dir of dirs) {
      const full = path.join(tree.final, dir)
      chmodSync(full, statSync(full).mode & ~0o222)
    }
  }
  return true
}

/** Whether `dir` (a download cache's layout) holds the job's file whole: a zip is whole with its .ziphash, which go (and the fetch) writes last. */
export function isComplete(dir: string, job: FileJob): boolean {
  const file = path.join(dir, job.path)
  return existsSync(file) && (job.kind !== 'zip' || existsSync(`${file}hash`))
}

/**
 * A temporary name beside `file`, for an atomic rename. Not `*.tmp`: go removes `<file>*.tmp`
 * in its download cache as leftovers of its own while it holds the module's lock.
 */
const partial = (file: string) => `${file}.${uniqueSuffix()}.partial`

/**
 * A suffix no other name made here or by another process has: random per process (module caches
 * are shared between jobs and machines), counted within it. Random bytes for every name cost
 * more than the file operations they name.
 */
const uniqueSuffix = () => `${RUN}-${(named++).toString(36)}`
const RUN = randomBytes(6).toString('hex')
let named = 0

function writeAtomically(file: string, text: string): void {
  const temp = partial(file)
  writeFileSync(temp, text)
  renameSync(temp, file)
}

/** Why the bytes at `file` are not what go.sum vouches for, or undefined when they are. */
export async function verify(job: FileJob, file: string, hashZip: (file: string) => string | Promise<string> = zipFileHash): Promise<string | undefined> {
  try {
    if (job.kind === 'other') return undefined
    if (job.kind === 'mod') return job.hash === undefined || goModHash(readFileSync(file)) === job.hash ? undefined : 'go.mod does not match go.sum'
    if (job.kind === 'zip') return job.hash === undefined || (await hashZip(file)) === job.hash ? undefined : 'zip does not match go.sum'
    const info = JSON.parse(readFileSync(file, 'utf8')) as { Version?: unknown }
    return info.Version === job.version ? undefined : `.info names ${String(info.Version)}, not ${job.version}`
  } catch (e) {
    return `${job.kind} unreadable: ${(e as Error).message}`
  }
}
