// Every time rule of the action in one place. Two of them look alike and mean opposite things:
// the probe's cut-off gives up on a candidate that is slower than a healthy one (it is then
// left out), while the fetch's hedge asks a second candidate beside a slow first one (both stay,
// the first verified answer wins).
import { setTimeout as sleep } from 'node:timers/promises'
import { formatDuration } from './duration.ts'

/** The middle value (the upper one of an even count): what is typical of a series of times. */
export function median(values: number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

export const PROBE_CUTOFF_FLOOR_MS = 500
export const PROBE_CUTOFF_FACTOR = 4

/**
 * The probe's cut-off: once the first candidate answered healthy after `firstHealthyMs`, the
 * others are waited for until this long from the start, never past the probe timeout. A
 * never-answering candidate must not cost the whole timeout when another has answered.
 */
export function probeCutoffMs(firstHealthyMs: number, timeoutMs: number): number {
  return Math.min(timeoutMs, Math.max(PROBE_CUTOFF_FLOOR_MS, PROBE_CUTOFF_FACTOR * firstHealthyMs))
}

export const HEDGE_AFTER_MIN_MS = 250
export const HEDGE_AFTER_FACTOR = 4
export const SILENCE_MIN_MS = 3000
export const SILENCE_FACTOR = 20

/** The fetch's hedge: a request with no answer after this long is also sent to the next candidate. */
export function hedgeAfterMs(typicalFirstByteMs: number): number {
  return Math.max(HEDGE_AFTER_MIN_MS, HEDGE_AFTER_FACTOR * typicalFirstByteMs)
}

/** A connection silent for this long (waiting for the answer, or within it) is given up. */
export function silenceLimitMs(typicalFirstByteMs: number, stallTimeoutMs: number): number {
  return Math.min(stallTimeoutMs, Math.max(SILENCE_MIN_MS, SILENCE_FACTOR * typicalFirstByteMs))
}

/** Ten checks per stall timeout, at most half a second apart: a stall is seen within 0.5 s. */
export function stallCheckEveryMs(stallTimeoutMs: number): number {
  return Math.min(500, Math.max(50, stallTimeoutMs / 10))
}

const MAX_BACKOFF_MS = 30_000

/**
 * Exponential backoff with jitter, paid only when the same candidate goes first again:
 * failing over to a fresh candidate needs no wait.
 */
export function backoffDelay(timesFirstBefore: number, baseMs: number, random: () => number = Math.random): number {
  if (timesFirstBefore === 0) return 0
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (timesFirstBefore - 1) * (1 + random()))
}

export class DeadlineError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} took longer than ${formatDuration(ms)} and was abandoned`)
    this.name = 'DeadlineError'
  }
}

/** `work`, or a DeadlineError after `ms`; the timer does not keep the process alive. */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  const controller = new AbortController()
  const deadline = sleep(ms, undefined, { signal: controller.signal, ref: false }).then(() => {
    throw new DeadlineError(what, ms)
  })
  try {
    return await Promise.race([work, deadline])
  } finally {
    controller.abort()
    deadline.catch(() => undefined)
  }
}

/**
 * How long the step waits for go's lock on a module version before it leaves that module alone.
 * go holds the lock while it downloads one zip and extracts it (seconds, for a large module on
 * a slow link); a go that is paused, or waits on a silent proxy, holds it forever.
 */
export const LOCK_WAIT_MS = 10_000

/**
 * The check of a starting module cache is allowed this many bytes per second, beyond a floor
 * (threads starting, a cold disk): a tenth of what it hashes here on 2 shared cores (80 MiB/s
 * of zips), and what a runner's link brings (8 MiB/s is 67 Mbit/s). Past its deadline, fetching
 * again is quicker than waiting for a disk that slow, or one that does not answer.
 */
export const CHECK_BYTES_PER_SECOND = 8 << 20
export const CHECK_FLOOR_MS = 10_000

/** The check's deadline for `bytes` of zips, trees (counted at their zip's size) and go.mod files. */
export function checkDeadlineMs(bytes: number): number {
  return CHECK_FLOOR_MS + Math.ceil((bytes / CHECK_BYTES_PER_SECOND) * 1000)
}
