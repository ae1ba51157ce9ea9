// How many speculative requests to keep in flight: as many as pay. On a latency-bound link more
// requests deliver more; on a bandwidth-bound one they only split the link (or, through some
// corporate egress, deliver less), so that every file arrives late and go can start on none of
// them. The limit moves the way that delivers more, measured window by window; `concurrency`
// is the ceiling.

/** From this first-answer time on, a link is latency-bound enough for the larger start. */
const SLOW_ANSWER_MS = 40
/**
 * Requests in flight to start with, before any window is measured: what a link needs in flight
 * grows with its latency (throughput × latency). Measured side by side: at 50 ms per answer 32
 * finished a 160-module fetch 10% sooner than 16; on this machine's real proxy (about 20 ms)
 * 32 was 7% slower, the extra connections' handshakes and split bandwidth costing more than
 * they overlapped; at 10 ms, and on a 4 MiB/s link, the two were level.
 */
export function startLimit(latencyMs: number, ceiling: number): number {
  return Math.min(ceiling, latencyMs >= SLOW_ANSWER_MS ? 32 : 16)
}
export const MIN_LIMIT = 2
export const WINDOW_MS = 200
/** More requests in flight must deliver this much more to be kept: on a link that noise moves by a fifth, a lucky window must not open more connections. */
const UP_GAIN = 0.25
/** Fewer requests in flight are kept unless they deliver this much less. */
const DOWN_LOSS = 0.12
/** Windows to stay at a limit found before trying another. */
const HOLD_WINDOWS = 4
/** Windows the first limit is held: new connections are still in their handshakes and slow start, so their windows would flatter any change. */
export const WARM_UP_WINDOWS = 2

export interface ClimbState {
  limit: number
  /** The way the next change goes: up (more in flight) or down. */
  direction: 1 | -1
  /** What was delivered per window at the limit before the last change. */
  before?: { limit: number; delivered: number }
  /** Windows left to stay put. */
  hold?: number
}

/**
 * The next limit after a window that delivered `delivered` (bytes, plus a share per completed
 * file so that many small answers count too), when demand filled the limit (`busy`). Fewer is
 * preferred: a step up is kept only when it delivered clearly more, and then another is tried;
 * a step down is kept unless it delivered clearly less, and then another is tried. A step that
 * is undone turns the direction, and the limit stays a few windows before trying again.
 */
export function nextLimit(state: ClimbState, delivered: number, busy: boolean, ceiling: number): ClimbState {
  if (!busy) return state
  if (state.hold) return { limit: state.limit, direction: state.direction, hold: state.hold - 1 }
  const { before } = state
  if (before && before.limit !== state.limit) {
    const wentUp = state.limit > before.limit
    const undo = wentUp ? delivered < before.delivered * (1 + UP_GAIN) : delivered < before.delivered * (1 - DOWN_LOSS)
    if (undo) return { limit: before.limit, direction: wentUp ? -1 : 1, hold: HOLD_WINDOWS }
  }
  const limit = state.direction > 0 ? Math.min(ceiling, state.limit * 2) : Math.max(MIN_LIMIT, Math.floor(state.limit / 2))
  if (limit === state.limit) return { limit, direction: state.direction > 0 ? -1 : 1 }
  return { limit, direction: state.direction, before: { limit: state.limit, delivered } }
}

/** A counting semaphore whose size can change while it is used. */
export class Limiter {
  limit: number
  active = 0
  private readonly waiting: (() => void)[] = []

  constructor(limit: number) {
    this.limit = limit
  }

  async acquire(): Promise<() => void> {
    // A waiter is handed its slot by wake(): counted there, so that no wake-up overshoots the limit.
    if (this.active >= this.limit) await new Promise<void>(resolve => this.waiting.push(resolve))
    else this.active++
    let released = false
    return () => {
      if (released) return
      released = true
      this.active--
      this.wake()
    }
  }

  setLimit(limit: number): void {
    this.limit = limit
    this.wake()
  }

  private wake(): void {
    while (this.active < this.limit && this.waiting.length > 0) {
      this.active++
      ;(this.waiting.shift() as () => void)()
    }
  }
}
