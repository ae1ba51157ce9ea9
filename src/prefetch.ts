// The verified parallel prefetch: every .mod, .zip and .info that go.sum implies, fetched far
// wider than go fetches, checked against go.sum, and written atomically in Go's layout under
// GOMODCACHE/cache/download. `go mod download` then verifies, extracts and fetches whatever is
// still missing under the watchdog.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { stallCheckEveryMs } from './attempt.ts'
import { type Candidate, requestUrl } from './goproxy.ts'
import { goModHash, type SumLine, zipHash } from './gosum.ts'
import type { HttpClient } from './net/client.ts'
import { type CandidateRecord, hedgeAfterMs, isTroubled, median, type PrefetchJob, prefetchPlan, silenceLimitMs } from './prefetch-plan.ts'
import { backoffDelay } from './retry.ts'

export interface PrefetchOptions {
  /** The run's HTTP client: go's view of the network, keep-alive connections `concurrency` wide. */
  client: HttpClient
  /** Healthy URL candidates in chain order, each with its probe latency. */
  candidates: { candidate: Candidate; latencyMs: number }[]
  lines: SumLine[]
  isPrivate: (module: string) => boolean
  modcache: string
  concurrency: number
  /** Rounds over the candidates per file before it is left to go. */
  rounds: number
  backoffMs: number
  /** The prefetch gives up when no file completes for this long, or when it runs this long. */
  stallTimeoutMs: number
  timeoutMs: number
}

export interface PrefetchReport {
  files: number
  /** Module zips among the files. */
  zips: number
  bytes: number
  durationMs: number
  /** Files that no candidate served with the right bytes: left to go mod download. */
  missed: number
  retries: number
  hedges: number
  /** Answers thrown away because their bytes did not match go.sum. */
  rejected: number
  /** Set when the prefetch stopped early, and why. */
  stopped?: string
  /** Candidates that misbehaved during the prefetch: they go behind the others for go. */
  troubled: Candidate[]
}

const MAX_FILE_BYTES = 512 << 20
const SAMPLE_WINDOW = 32

export async function prefetch(options: PrefetchOptions): Promise<PrefetchReport> {
  const started = performance.now()
  const root = path.join(options.modcache, 'cache', 'download')
  const jobs = prefetchPlan(options.lines, options.isPrivate, job => isCached(root, job))
  const report: PrefetchReport = { files: 0, zips: 0, bytes: 0, durationMs: 0, missed: 0, retries: 0, hedges: 0, rejected: 0, troubled: [] }
  // Time to first byte per candidate, seeded with its probe latency.
  const samples = new Map(options.candidates.map(c => [c.candidate, [c.latencyMs]]))
  const records = new Map<Candidate, CandidateRecord>(options.candidates.map(c => [c.candidate, { requests: 0, failures: 0, rejected: 0 }]))
  const stop = new AbortController()
  let lastDone = performance.now()
  const watchdog = setInterval(() => {
    const now = performance.now()
    if (now - lastDone > options.stallTimeoutMs) stop.abort(`no file completed for ${Math.round(options.stallTimeoutMs / 1000)}s`)
    else if (now - started > options.timeoutMs) stop.abort(`ran past ${Math.round(options.timeoutMs / 1000)}s`)
  }, stallCheckEveryMs(options.stallTimeoutMs))

  const fetcher: Fetcher = { options, samples, records, report, stop: stop.signal }
  const queue = [...jobs]
  const worker = async () => {
    while (!stop.signal.aborted) {
      const job = queue.shift()
      if (!job) return
      const body = await fetchVerified(fetcher, job)
      const stored = body && (await store(root, job, body).then(
        () => true,
        // The prefetch only saves time: a module cache it cannot write is go's to report.
        (e: Error) => stop.abort(`could not write ${job.path}: ${e.message}`)
      ))
      if (body && stored) {
        report.files++
        if (job.kind === 'zip') report.zips++
        report.bytes += body.length
        lastDone = performance.now()
      } else report.missed++
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, jobs.length) }, worker))
  } finally {
    clearInterval(watchdog)
  }
  if (stop.signal.aborted) {
    report.stopped = String(stop.signal.reason)
    report.missed += queue.length
  }
  report.troubled = options.candidates.map(c => c.candidate).filter(c => isTroubled(records.get(c) as CandidateRecord))
  report.durationMs = performance.now() - started
  return report
}

function isCached(root: string, job: PrefetchJob): boolean {
  const file = path.join(root, job.path)
  // go writes the .ziphash last: a zip without one is not complete.
  return existsSync(file) && (job.kind !== 'zip' || existsSync(`${file}hash`))
}

interface Fetcher {
  options: PrefetchOptions
  samples: Map<Candidate, number[]>
  records: Map<Candidate, CandidateRecord>
  report: PrefetchReport
  stop: AbortSignal
}

async function fetchVerified(fetcher: Fetcher, job: PrefetchJob): Promise<Buffer | undefined> {
  for (let round = 0; round < fetcher.options.rounds && !fetcher.stop.aborted; round++) {
    if (round > 0) {
      fetcher.report.retries++
      await sleep(backoffDelay(round, fetcher.options.backoffMs), undefined, { signal: fetcher.stop }).catch(() => undefined)
    }
    const body = await raceCandidates(fetcher, job)
    if (body) return body
  }
  return undefined
}

/**
 * One round: the first candidate is asked; when it fails, the next is asked at once
 * (failover), and when it is slower to answer than its usual by a clear margin, the next is
 * asked beside it (a hedge). The first verified answer wins and the others are cancelled.
 */
function raceCandidates(fetcher: Fetcher, job: PrefetchJob): Promise<Buffer | undefined> {
  // A candidate that has shown trouble is asked last from then on, not first for every file.
  const all = fetcher.options.candidates.map(c => c.candidate)
  const troubled = (c: Candidate) => isTroubled(fetcher.records.get(c) as CandidateRecord)
  const candidates = [...all.filter(c => !troubled(c)), ...all.filter(troubled)]
  const requests: AbortController[] = []
  let next = 0
  let pending = 0
  let done = false
  let hedge: NodeJS.Timeout | undefined
  return new Promise(resolve => {
    const finish = (body: Buffer | undefined) => {
      if (done) return
      done = true
      clearTimeout(hedge)
      for (const request of requests) request.abort()
      resolve(body)
    }
    const launch = () => {
      if (done) return
      if (next >= candidates.length || fetcher.stop.aborted) {
        if (pending === 0) finish(undefined)
        return
      }
      const candidate = candidates[next++] as Candidate
      const typical = median(fetcher.samples.get(candidate) ?? []) ?? 0
      const request = new AbortController()
      requests.push(request)
      pending++
      clearTimeout(hedge)
      if (next < candidates.length) {
        hedge = setTimeout(() => {
          fetcher.report.hedges++
          launch()
        }, hedgeAfterMs(typical))
      }
      const started = performance.now()
      requestOne(fetcher, candidate, job, request.signal, silenceLimitMs(typical, fetcher.options.stallTimeoutMs), () => {
        clearTimeout(hedge)
        const samples = fetcher.samples.get(candidate) as number[]
        samples.push(performance.now() - started)
        // The recent past is what counts, and the median stays cheap.
        if (samples.length > SAMPLE_WINDOW) samples.shift()
      }).then(body => {
        pending--
        if (body) finish(body)
        else launch()
      })
    }
    launch()
  })
}

async function requestOne(
  fetcher: Fetcher,
  candidate: Candidate,
  job: PrefetchJob,
  signal: AbortSignal,
  silenceMs: number,
  onHeaders: () => void
): Promise<Buffer | undefined> {
  const url = requestUrl(candidate, job.path)
  const record = fetcher.records.get(candidate) as CandidateRecord
  let answered = false
  record.requests++
  try {
    const answer = await fetcher.options.client.get(url, {
      signal: AbortSignal.any([signal, fetcher.stop]),
      maxBytes: MAX_FILE_BYTES,
      idleMs: silenceMs,
      onHeaders: () => {
        answered = true
        onHeaders()
      }
    })
    // 404 and 410 are how a proxy says it lacks a module: no fault of its own.
    if (answer.status === 404 || answer.status === 410) return undefined
    if (answer.status !== 200) record.failures++
    else if (!verified(job, answer.body)) {
      record.rejected++
      fetcher.report.rejected++
    } else return answer.body
    return undefined
  } catch {
    // Refused, reset, silent, or overtaken by a hedge before it answered; not when the prefetch stopped.
    if (!fetcher.stop.aborted && !(signal.aborted && answered)) record.failures++
    return undefined
  }
}

/** The bytes go.sum vouches for; an .info file must at least name the version asked for. */
export function verified(job: PrefetchJob, body: Buffer): boolean {
  try {
    if (job.kind === 'mod') return goModHash(body) === job.hash
    if (job.kind === 'zip') return zipHash(body) === job.hash
    return (JSON.parse(body.toString('utf8')) as { Version?: unknown }).Version === job.version
  } catch {
    return false
  }
}

/** Written under a temporary name and renamed, so go never sees half a file; a zip's .ziphash last. */
async function store(root: string, job: PrefetchJob, body: Buffer): Promise<void> {
  const file = path.join(root, job.path)
  await mkdir(path.dirname(file), { recursive: true })
  const write = async (target: string, data: string | Buffer) => {
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`
    await writeFile(temp, data)
    await rename(temp, target)
  }
  await write(file, body)
  if (job.kind === 'zip') await write(`${file}hash`, job.hash as string)
}
