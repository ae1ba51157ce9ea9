// What the prefetch fetches, and its per-request timing rules: pure, so most of it is
// tested without sockets.
import { escapePath, type SumLine } from './gosum.ts'

export type FileKind = 'info' | 'mod' | 'zip'

export interface PrefetchJob {
  module: string
  version: string
  kind: FileKind
  /** go.sum's h1: hash the bytes must match (the .info file has none). */
  hash?: string
  /** Path under GOMODCACHE/cache/download, in Go's layout; also the request path on a proxy. */
  path: string
}

export function downloadPath(module: string, version: string, kind: FileKind): string {
  return `${escapePath(module)}/@v/${escapePath(version)}.${kind}`
}

/**
 * From go.sum: the .mod of every `/go.mod` line, the .zip and .info of every module line.
 * Private modules are left to go (they must never reach a public candidate), and so is
 * whatever the module cache already holds.
 */
export function prefetchPlan(
  lines: SumLine[],
  isPrivate: (module: string) => boolean,
  isCached: (job: PrefetchJob) => boolean
): PrefetchJob[] {
  const jobs = new Map<string, PrefetchJob>()
  const add = (line: SumLine, kind: FileKind, hash?: string) => {
    const job: PrefetchJob = { module: line.module, version: line.version, kind, path: downloadPath(line.module, line.version, kind) }
    if (hash) job.hash = hash
    if (!jobs.has(job.path) && !isCached(job)) jobs.set(job.path, job)
  }
  for (const line of lines) {
    if (isPrivate(line.module)) continue
    if (line.goMod) add(line, 'mod', line.hash)
    else {
      add(line, 'zip', line.hash)
      add(line, 'info')
    }
  }
  // Zips first: they are the long transfers, and the small files fill the gaps after them.
  return [...jobs.values()].sort((a, b) => Number(b.kind === 'zip') - Number(a.kind === 'zip'))
}

export const HEDGE_AFTER_MIN_MS = 250
export const HEDGE_AFTER_FACTOR = 4
export const FIRST_BYTE_MIN_MS = 3000
export const FIRST_BYTE_FACTOR = 20

/** What the prefetch saw of one candidate. */
export interface CandidateRecord {
  requests: number
  /** Errors, silences, bad statuses, and requests another candidate overtook before they answered. */
  failures: number
  /** Answers whose bytes did not match go.sum. */
  rejected: number
}

/**
 * A candidate that served wrong bytes even once goes behind the others, and so does one that
 * failed at least 3 requests and at least a tenth of them (a few latency spikes among
 * hundreds of requests are not trouble).
 */
export function isTroubled(record: CandidateRecord): boolean {
  return record.rejected > 0 || (record.failures >= 3 && record.failures * 10 >= record.requests)
}

/** The middle value (the upper one of an even count); what is typical of a candidate's first bytes. */
export function median(values: number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/** A request with no answer after this long is also sent to the next candidate. */
export function hedgeAfterMs(typical: number): number {
  return Math.max(HEDGE_AFTER_MIN_MS, HEDGE_AFTER_FACTOR * typical)
}

/** A connection silent for this long (waiting for the answer, or within it) is given up. */
export function silenceLimitMs(typical: number, stallTimeoutMs: number): number {
  return Math.min(stallTimeoutMs, Math.max(FIRST_BYTE_MIN_MS, FIRST_BYTE_FACTOR * typical))
}
