// The download stage: go mod download, watched, retried and failed over along the chain, with
// the local proxy (when the fetch runs) in front of it; then the chain to hand to later steps,
// with every candidate that misbehaved moved behind the others. It logs its own lines and
// returns its report; the fetch stage, started earlier, is finished here whatever happens.
import { port } from '../engine/port.ts'
import type { AttemptOutcome } from './attempt.ts'
import { formatDuration } from '../util/duration.ts'
import type { FetchReport, FetchStage } from '../fetch/stage.ts'
import { type Candidate, demote, goproxyDisplay, goproxyValue } from '../go/goproxy.ts'
import { type AttemptRecord, downloadWithRetries } from './retry.ts'
import { formatSize } from '../util/size.ts'
import { counted } from '../util/plural.ts'

export interface DownloadOptions {
  /** The chain in the order to try, after the probe. */
  chain: Candidate[]
  /** The local proxy and the speculative fetch behind it, when they run. */
  fetch?: FetchStage
  /** One run of go mod download with GOPROXY set to `goproxy`. */
  attempt: (goproxy: string, fetch?: FetchStage) => Promise<AttemptOutcome>
  retries: number
  backoffMs: number
  /** What must be in place before go runs (the toolchain it switches to); false ends the stage without an attempt. */
  prepare?: () => Promise<boolean>
}

export interface DownloadReport {
  ok: boolean
  /** False when `prepare` failed, or an attempt could not run at all (`error`). */
  ran: boolean
  /** What kept an attempt from running (go missing, say): the run fails with it, the fetch's report kept. */
  error?: Error
  attempts: AttemptRecord[]
  fetch?: FetchReport
  /** The chain for later steps: candidates that answered go with errors, or misbehaved for the fetch, behind the others. */
  chain: Candidate[]
}

export async function runDownload(options: DownloadOptions): Promise<DownloadReport> {
  const { fetch } = options
  const goproxyFor = (c: Candidate[]) => (fetch ? `${fetch.url}|${goproxyValue(c)}` : goproxyValue(c))
  let fetchReport: FetchReport | undefined
  let result: Awaited<ReturnType<typeof downloadWithRetries>> | undefined
  let error: Error | undefined
  try {
    const ready = options.prepare ? await options.prepare() : true
    if (ready) result = await downloadWithRetries(
      options.chain,
      c =>
        port.group(`go mod download (GOPROXY=${fetch ? 'the local proxy|' : ''}${goproxyDisplay(c)})`, async () => {
          const outcome = await options.attempt(goproxyFor(c), fetch)
          // The watchdog ended it: what it waited for made no progress, and the next attempt must not join it.
          if (outcome.endedBy !== 'exit') fetch?.abandon()
          return outcome
        }),
      {
        retries: options.retries,
        backoffMs: options.backoffMs,
        onAttemptEnd: (record, next) => {
          const how = `Attempt ${record.number} (${record.first} first): ${record.reason} after ${formatDuration(record.durationMs)}`
          if (record.reason === 'ok') port.info(how)
          else port.warning(`${how}${record.detail ? ` — ${record.detail}` : ''}${next ? `; next, ${next} first` : ''}`)
        }
      }
    )
  } catch (e) {
    error = e as Error
  } finally {
    if (fetch) {
      fetchReport = await fetch.finish()
      port.info(describeFetch(fetchReport))
    }
  }
  const withFetch = fetchReport ? { fetch: fetchReport } : {}
  if (!result) return { ok: false, ran: false, attempts: [], chain: options.chain, ...withFetch, ...(error ? { error } : {}) }
  for (const candidate of result.demoted) {
    port.warning(`${candidate.display} answered some requests with errors; go got those modules from the next proxy, and it goes last in the exported GOPROXY.`)
  }
  // A candidate that misbehaved for the fetch goes behind the others for later steps too.
  const reordered = demote(result.chain, fetchReport?.troubled ?? [])
  for (const moved of fetchReport?.candidates.filter(c => c.moved && reordered.demoted.includes(c.candidate)) ?? []) {
    port.warning(`${moved.candidate.display} ${moved.moved}: it goes behind the others in the exported GOPROXY.`)
  }
  return { ok: result.ok, ran: true, attempts: result.attempts, chain: reordered.chain, ...withFetch }
}

function describeFetch(f: FetchReport): string {
  const stopped = f.stopped ? ` (the speculative fetch stopped: ${f.stopped})` : ''
  return `Fetched ${f.files} of ${counted(f.planned, 'planned file')} (${counted(f.plannedZips, 'zip')}, ${f.extracted} of them extracted for go; go.sum has ${counted(f.sumLines, 'line')}), ${formatSize(f.bytes)} in ${formatDuration(f.durationMs)}; go asked the local proxy ${counted(f.requests, 'time')}; ${counted(f.retries, 'retry', 'retries')}, ${counted(f.hedges, 'hedge')}, ${f.rejected} rejected${stopped}`
}
