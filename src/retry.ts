// Attempts of the download: each retry fails over to the next candidate; a candidate that
// served bad bytes is left out; errors no retry can fix stop at once.
import pRetry, { AbortError } from 'p-retry'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AttemptOutcome } from './attempt.ts'
import { type Classification, classify, type EndReason } from './classify.ts'
import { type Candidate, candidatesOf, demote, rotateChain } from './goproxy.ts'
import { backoffDelay } from './timing.ts'

export interface AttemptRecord {
  number: number
  /** The entry go tried first in this attempt. */
  first: string
  reason: EndReason
  detail: string
  durationMs: number
  zips: number
}

export interface DownloadResult {
  ok: boolean
  attempts: AttemptRecord[]
  /** The chain of the last attempt: on success, the one to hand to later steps. */
  chain: Candidate[]
  /** Entries that answered requests of the successful attempt with errors: moved to the back of `chain`. */
  demoted: Candidate[]
}

export interface RetryOptions {
  retries: number
  /** Base of the exponential backoff before a candidate is tried first again. */
  backoffMs: number
  onAttemptEnd?: (record: AttemptRecord, next: string | undefined) => void
}

class AttemptFailed extends Error {
  constructor(classification: Classification) {
    super(`${classification.reason}: ${classification.detail}`)
    this.name = 'AttemptFailed'
  }
}

/** The chain for the next attempt, or undefined when nothing is left to try. */
export function nextChain(chain: Candidate[], classification: Classification): Candidate[] | undefined {
  if (classification.next === 'rotate') return rotateChain(chain, 1)
  if (classification.next === 'drop-first') {
    const rest = chain.slice(1)
    return rest.length > 0 ? rest : undefined
  }
  return undefined
}

export async function downloadWithRetries(
  initial: Candidate[],
  runOne: (chain: Candidate[]) => Promise<AttemptOutcome>,
  options: RetryOptions
): Promise<DownloadResult> {
  const attempts: AttemptRecord[] = []
  const timesFirst = new Map<string, number>()
  let chain = initial
  let tried = initial
  let failedRequests: string[] = []
  try {
    await pRetry(
      async number => {
        const first = chain[0]?.spec ?? ''
        const before = timesFirst.get(first) ?? 0
        timesFirst.set(first, before + 1)
        await sleep(backoffDelay(before, options.backoffMs))
        tried = chain
        // An attempt that could not even start (go missing, say) is not worth repeating.
        const outcome = await runOne(chain).catch((e: Error) => {
          throw new AbortError(e)
        })
        const classification = classify(outcome)
        const record: AttemptRecord = {
          number,
          first: chain[0]?.display ?? '',
          reason: classification.reason,
          detail: classification.detail,
          durationMs: outcome.durationMs,
          zips: outcome.zips
        }
        attempts.push(record)
        if (classification.next === 'done') {
          failedRequests = outcome.failedRequests
          options.onAttemptEnd?.(record, undefined)
          return
        }
        const next = nextChain(chain, classification)
        const last = next === undefined || number > options.retries
        options.onAttemptEnd?.(record, last ? undefined : next?.[0]?.display)
        if (next === undefined) throw new AbortError(new AttemptFailed(classification))
        chain = next
        throw new AttemptFailed(classification)
      },
      // Backoff is paid in the attempt itself, where it is known whether the candidate is fresh.
      { retries: options.retries, minTimeout: 0 }
    )
    return { ok: true, attempts, ...demote(tried, candidatesOf(tried, failedRequests)) }
  } catch (e) {
    if (!(e instanceof AttemptFailed)) throw e
    return { ok: false, attempts, chain: tried, demoted: [] }
  }
}
