// Fetches module files from the healthy candidates into a store of verified files: each file
// once (a second request for it joins the first), hedged and failed over across candidates,
// streamed to disk and checked against go.sum before it is kept. What it saw of each candidate
// is kept for the summary and for the order of the chain. Its file operations are synchronous:
// each takes microseconds on a local disk, while an asynchronous one wakes a thread-pool thread,
// which on 2 busy cores costs several times as much (the hashing threads need those cores).
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Candidate, requestUrl } from '../goproxy.ts'
import { isAbsent } from '../module/absent.ts'
import { verify } from '../module/matches.ts'
import { type FileJob, treePath } from '../module/vouched.ts'
import type { HttpClient } from '../net/client.ts'
import { backoffDelay, hedgeAfterMs, median, silenceLimitMs } from '../timing.ts'
import { type CandidateStats, emptyStats, isTroubled } from './stats.ts'
import { Hashers } from './hashers.ts'

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
    if (job.transient) return this.fetch(job, path.join(this.options.transientDir, randomBytes(8).toString('hex')), urgent, use.onFetched)
    const running = this.inFlight.get(job.path)
    if (running) {
      // Another caller's fetch: it needs no request of this caller's.
      use.onFetched?.()
      if (urgent) this.hurry(job.path)
      return running
    }
    const file = path.join(this.options.storeDir, job.path)
    const stored = isComplete(this.options.storeDir, job)
    if (stored) use.onFetched?.()
    const fetching = (stored ? stat(file).then(s => ({ kind: 'file', file, size: s.size }) as Outcome) : this.fetch(job, file, urgent, use.onFetched)).finally(() =>
      this.inFlight.delete(job.path)
    )
    this.inFlight.set(job.path, fetching)
    return fetching
  }

  /** Ends every request under way; later calls fail at once. */
  close(): void {
    this.stop.abort('the fetch was closed')
    void this.hashers.close()
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
    const zip = this.hashing.get(jobPath)
    if (zip) this.hashers.hurry(zip)
  }

  private async fetch(job: FileJob, file: string, urgent: boolean, onFetched = () => {}): Promise<Outcome> {
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
        last = await this.race(job, file, once)
        if (last.kind !== 'failed') return last
      }
      return last
    } finally {
      this.urgent.delete(job.path)
      once()
    }
  }

  /**
   * One round: the first candidate is asked; when it fails, the next at once (failover); when it
   * is slower to answer than its usual by a clear margin, the next beside it (a hedge). The first
   * verified answer wins and the others are cancelled. All saying 404/410 is an answer too.
   */
  private race(job: FileJob, file: string, onBody: () => void): Promise<Outcome> {
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
        this.requestOne(candidate, job, file, controller.signal, silenceLimitMs(typical, this.options.stallTimeoutMs), onBody, () => {
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

  private async requestOne(candidate: Candidate, job: FileJob, file: string, signal: AbortSignal, silenceMs: number, onBody: () => void, onHeaders: () => void): Promise<Outcome> {
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
      this.files++
      if (job.kind === 'zip') this.zips++
      return { kind: 'file', file, size: answer.size }
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
      if (!kept) rmSync(temp, { force: true })
      // Left when the zip was refused, or the module was in place already: a whole module's files, too many to remove on the main thread.
      if (tree && !placed) await rm(tree.temp, { recursive: true, force: true })
    }
  }
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
