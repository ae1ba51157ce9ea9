// Every time rule of the action in one place. Two of them look alike and mean opposite things:
// the probe's cut-off gives up on a candidate that is slower than a healthy one (it is then
// left out), while the fetch's hedge asks a second candidate beside a slow first one (both stay,
// the first verified answer wins).
import { setTimeout as sleep } from 'node:timers/promises'
import type { Options as RetryOptions } from 'p-retry'
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
export const STALL_WINDOW_MIN_MS = 3000
export const STALL_WINDOW_FACTOR = 20

/** The fetch's hedge: a request with no answer after this long is also sent to the next candidate. */
export function hedgeAfterMs(typicalFirstByteMs: number): number {
  return Math.max(HEDGE_AFTER_MIN_MS, HEDGE_AFTER_FACTOR * typicalFirstByteMs)
}

/**
 * The floor rate: a transfer that brings less than this over a whole window is stalled, as curl's
 * `--speed-limit` and git's `GIT_HTTP_LOW_SPEED_LIMIT` judge it. Silence is the floor's extreme,
 * and so is a handshake or a redirect that never leads to an answer: only body bytes count.
 * Measured (docs/slow-transfers.md): on loopback links of 4 and 1 MiB/s shared by up to 64
 * transfers, no transfer of the 160-module benchmark brought less than 32 KiB in any second; the
 * issue's dripping proxy sent 2.5 bytes a second. 1 KiB/s is git's usual guard, 32 times below
 * the slowest useful transfer seen.
 */
export const FLOOR_BYTES_PER_SEC = 1024

/**
 * How long one transfer of the fetch may stay below the floor before it is given up (curl's
 * `--speed-time`): twenty times the candidate's usual first byte, at least 3 s, at most
 * `stall-timeout`, from the request's start (waiting for the answer included).
 */
export function stallWindowMs(typicalFirstByteMs: number, stallTimeoutMs: number): number {
  return Math.min(stallTimeoutMs, Math.max(STALL_WINDOW_MIN_MS, STALL_WINDOW_FACTOR * typicalFirstByteMs))
}

export const BODY_HEDGE_MIN_MS = 1000
export const THROUGHPUT_HEDGE_FACTOR = 8

/**
 * The hedge on throughput: once an answer has started, its body is measured over windows of
 * this long: four times the usual first byte, at least 1 s. On those shared links chunks came up
 * to 0.46 s apart, so that windows of 250 ms judged 54 of 99 healthy transfers slow; windows of
 * 500 ms and 1 s none.
 */
export function bodyHedgeWindowMs(typicalFirstByteMs: number): number {
  return Math.max(BODY_HEDGE_MIN_MS, HEDGE_AFTER_FACTOR * typicalFirstByteMs)
}

/**
 * A body that came slower than this over its last window is also asked of the next candidate:
 * an eighth of the candidate's usual rate (the median of its recent large transfers), never below
 * the floor. On the shared links above, a healthy transfer's slowest second was never below a
 * quarter of its candidate's usual rate; an eighth leaves room for the in-flight limit to double
 * once more (each transfer's share halves) before a hedge would only split the link further.
 */
export function slowBodyBytesPerSec(usualBytesPerSec: number | undefined): number {
  return Math.max(FLOOR_BYTES_PER_SEC, (usualBytesPerSec ?? 0) / THROUGHPUT_HEDGE_FACTOR)
}

/**
 * Bytes per second over the last `windowMs`, of a transfer (or of all of them) counted as its
 * bytes arrive. Times are given, so the rule is pure. The counts are kept in at most about
 * sixteen slots per window, however many chunks arrive.
 */
export class Throughput {
  private readonly windowMs: number
  private readonly startedAt: number
  /** Running totals, each at the time its slot opened; the oldest is the last one at or before the window's start. */
  private readonly slots: { at: number; total: number }[] = []
  private total = 0

  constructor(windowMs: number, now: number) {
    this.windowMs = windowMs
    this.startedAt = now
    this.slots.push({ at: now, total: 0 })
  }

  add(bytes: number, now: number): void {
    this.total += bytes
    const last = this.slots[this.slots.length - 1] as { at: number; total: number }
    if (now - last.at < this.windowMs / 16) last.total = this.total
    else this.slots.push({ at: now, total: this.total })
    // Slots wholly before the window are not needed, but for the one the window starts in.
    while (this.slots.length > 1 && (this.slots[1] as { at: number }).at <= now - this.windowMs) this.slots.shift()
  }

  /** The rate over the last window; undefined until a whole window has passed since the start. */
  rate(now: number): number | undefined {
    if (now - this.startedAt < this.windowMs) return undefined
    let base = 0
    for (const slot of this.slots) {
      if (slot.at > now - this.windowMs) break
      base = slot.total
    }
    return ((this.total - base) * 1000) / this.windowMs
  }

  /** Whether a whole window has passed, over which less than `bytesPerSec` came. */
  below(bytesPerSec: number, now: number): boolean {
    const rate = this.rate(now)
    return rate !== undefined && rate < bytesPerSec
  }
}

/** Ten checks per stall timeout, at most half a second apart: a stall is seen within 0.5 s. */
export function stallCheckEveryMs(stallTimeoutMs: number): number {
  return Math.min(500, Math.max(50, stallTimeoutMs / 10))
}

const MAX_BACKOFF_MS = 30_000

/**
 * The wait before a retry, as p-retry's options (p-retry waits it): from `baseMs` to twice that
 * (jitter, so that retries from many jobs do not arrive together), doubling with each retry
 * that counts, at most 30 s.
 */
export function backoff(baseMs: number): Required<Pick<RetryOptions, 'minTimeout' | 'factor' | 'randomize' | 'maxTimeout'>> {
  return { minTimeout: baseMs, factor: 2, randomize: true, maxTimeout: MAX_BACKOFF_MS }
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
