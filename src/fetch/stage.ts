// The fetch stage: go's own download set, fetched from the healthy candidates while go works.
// go is pointed at a local proxy (GOPROXY=local|chain) that serves verified files; behind it the
// set is fetched speculatively, as wide as pays, so that go finds most files ready while the
// rest still arrive. Verified files go into go's download cache, as go
// itself writes it (a zip's .ziphash last), and each zip's files are written out as it is verified,
// so that go finds its modules extracted.
//
// This file wires the stage and reports on it: the verifying proxy (verifying-proxy.ts: the
// fetcher, the local proxy, the checksum database's relay), the speculative fetch
// (speculate.ts), and the probe's candidates and routes as they come.
import { port } from '../engine/port.ts'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Candidate } from '../go/goproxy.ts'
import type { SumLine } from '../module/gosum.ts'
import { knownFiles } from '../module/vouched.ts'
import type { HttpClient } from '../net/client.ts'
import type { SumdbRoutes } from '../go/sumdb.ts'
import { traceSpan } from '../util/trace.ts'
import type { PlanInput } from './download-set.ts'
import type { RankedCandidates } from './race.ts'
import { speculate } from './speculate.ts'
import { type CandidateStats, isTroubled, movedBecause } from './stats.ts'
import { Store } from './store.ts'
import { startVerifyingProxy } from './verifying-proxy.ts'

export interface FetchOptions {
  client: HttpClient
  /** Healthy URL candidates in chain order, each with its probe latency. */
  candidates: RankedCandidates
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
  // Anyone on the machine reaches 127.0.0.1: only go, given the secret, is served. The runner masks it in the log.
  const secret = randomBytes(18).toString('base64url')
  port.secret(secret)
  const proxy = await startVerifyingProxy({
    client: options.client,
    candidates: options.candidates,
    known,
    secret,
    dir: scratch,
    ...(downloadCache.writable() ? { store: downloadCache } : {}),
    // go extracts none of the zips written out for it: the core it would have used hashes and writes them instead.
    hashThreads: Math.min(2, os.availableParallelism()),
    rounds: options.rounds,
    backoffMs: options.backoffMs,
    stallTimeoutMs: options.stallTimeoutMs
  })
  const { fetcher, local } = proxy
  const speculative = speculate(fetcher, known, downloadCache, options)
  const stage: FetchStage = {
    url: local.url,
    probed: (candidates, database) => {
      fetcher.useCandidates(candidates)
      if (!database) return
      const relay = proxy.relaySumdb(database.route.name)
      const chain = candidates.map(c => c.candidate)
      database.follow(() => {
        const { routes, final } = database.relay(chain)
        relay.useCandidates(routes, final)
      })
      stage.gosumdb = `${database.route.key} ${local.url}/sumdb/${database.route.name}`
    },
    progress: proxy.bytes,
    abandon: () => {
      fetcher.abandon()
    },
    finish: async () => {
      speculative.stop()
      await Promise.all([speculative.done, proxy.close()])
      await rm(scratch, { recursive: true, force: true })
      traceSpan('fetch stage (started to finished)', started)
      const candidates = fetcher.current.map(candidate => {
        const stats = fetcher.stats.get(candidate) as CandidateStats
        const moved = movedBecause(stats)
        return { candidate, stats, ...(moved ? { moved } : {}) }
      })
      const { planned, plannedZips, peakLimit, unresolved, stopped } = speculative.figures
      // The report's fields in the order they always had.
      return {
        planned,
        plannedZips,
        sumLines: options.sumLines.length,
        files: fetcher.files,
        zips: fetcher.zips,
        extracted: fetcher.extracted,
        bytes: fetcher.bytes,
        durationMs: performance.now() - started,
        retries: fetcher.retries,
        hedges: fetcher.hedges,
        rejected: fetcher.rejected,
        requests: local.requests,
        served: local.served,
        peakLimit,
        unresolved,
        candidates,
        troubled: candidates.filter(c => isTroubled(c.stats)).map(c => c.candidate),
        ...(stopped ? { stopped } : {})
      }
    }
  }
  return stage
}
