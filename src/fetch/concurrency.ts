// How many speculative requests to keep in flight: as many as pay. On a latency-bound link more
// requests deliver more; on a bandwidth-bound one they only split the link (or, through some
// corporate egress, deliver less), so that every file arrives late and go can start on none of
// them. The limit moves the way that delivers more, measured window by window; `concurrency`
// is the ceiling.

export const START_LIMIT = 16
export const MIN_LIMIT = 2
export const WINDOW_MS = 200
/** A change must deliver this much more, or less, to count. */
const MARGIN = 0.12
/** Windows to stay at a limit found before trying another. */
const HOLD_WINDOWS = 4

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
 * file so that many small answers count too), when demand filled the limit (`busy`). A change
 * that delivered clearly more is followed by another the same way; one that delivered clearly
 * less is undone, and the other way is tried next; one that made no difference keeps the larger
 * limit. Either way it then stays a few windows before trying again.
 */
export function nextLimit(state: ClimbState, delivered: number, busy: boolean, ceiling: number): ClimbState {
  if (!busy) return state
  if (state.hold) return { limit: state.limit, direction: state.direction, hold: state.hold - 1 }
  const { before } = state
  if (before && before.limit !== state.limit) {
    const wentUp = state.limit > before.limit
    if (delivered < before.delivered * (1 - MARGIN)) return { limit: before.limit, direction: wentUp ? -1 : 1, hold: HOLD_WINDOWS }
    if (delivered <= before.delivered * (1 + MARGIN)) return { limit: Math.max(state.limit, before.limit), direction: 1, hold: HOLD_WINDOWS }
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

  /** `work` in a slot of its own. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire()
    try {
      return await work()
    } finally {
      release()
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
