// Attempts of the download, driven by p-retry: each retry fails over to the next candidate; a
// candidate that served bad bytes is left out; errors no retry can fix stop at once (AbortError).
// Failing over to a candidate that has not gone first yet is free and immediate (it does not
// consume a retry, so p-retry adds no backoff); going back to one that has gone first consumes
// a retry and waits p-retry's backoff (timing.ts).
import pRetry, { AbortError } from 'p-retry'
import type { AttemptOutcome } from './attempt.ts'
import type { Classification, EndReason } from './classify.ts'
import { type Candidate, candidatesOf, demote, rotateChain } from '../go/goproxy.ts'
import { backoff } from '../util/timing.ts'

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
  /** Attempts that go back to a candidate that has gone first already (failing over to a fresh one needs none). */
  retries: number
  /** The first backoff before a candidate goes first again: p-retry's minTimeout. */
  backoffMs: number
  onAttemptEnd?: (record: AttemptRecord, next: string | undefined) => void
}

/** An attempt that failed in a way the next one may not: it carries what to try next. */
class AttemptFailed extends Error {
  readonly record: AttemptRecord
  readonly next: Candidate[]
  constructor(classification: Classification, record: AttemptRecord, next: Candidate[]) {
    super(`${classification.reason}: ${classification.detail}`)
    this.name = 'AttemptFailed'
    this.record = record
    this.next = next
  }
}

/** The attempt that failed last, when no other may follow. */
class GaveUp extends Error {
  constructor(classification: Classification) {
    super(`${classification.reason}: ${classification.detail}`)
    this.name = 'GaveUp'
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
  const wentFirst = new Set<string>()
  let chain = initial
  let tried = initial
  let failedRequests: string[] = []
  try {
    await pRetry(
      async number => {
        tried = chain
        wentFirst.add(chain[0]?.spec ?? '')
        // An attempt that could not even start (go missing, say) is not worth repeating.
        const outcome = await runOne(chain).catch((e: Error) => {
          throw new AbortError(e)
        })
        const { classification } = outcome
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
        if (next) throw new AttemptFailed(classification, record, next)
        options.onAttemptEnd?.(record, undefined)
        throw new AbortError(new GaveUp(classification))
      },
      {
        retries: options.retries,
        ...backoff(options.backoffMs),
        // A candidate that has not gone first yet gets its turn at once, and it costs no retry.
        shouldConsumeRetry: ({ error }) => wentFirst.has((error as AttemptFailed).next[0]?.spec ?? ''),
        onFailedAttempt: ({ error, retriesLeft }) => {
          const failed = error as AttemptFailed
          options.onAttemptEnd?.(failed.record, retriesLeft > 0 ? failed.next[0]?.display : undefined)
          chain = failed.next
        }
      }
    )
    return { ok: true, attempts, ...demote(tried, candidatesOf(tried, failedRequests)) }
  } catch (e) {
    if (!(e instanceof AttemptFailed || e instanceof GaveUp)) throw e
    return { ok: false, attempts, chain: tried, demoted: [] }
  }
}
