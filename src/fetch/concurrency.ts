// How many speculative requests to keep in flight: as many as pay. On a latency-bound link more
// requests deliver more; on a bandwidth-bound one they only split the link (or, through some
// corporate egress, deliver less), so that every file arrives late and go can start on none of
// them. The limit moves the way that delivers more, measured window by window; `concurrency`
// is the ceiling.

export const START_LIMIT = 8
export const MIN_LIMIT = 2
export const WINDOW_MS = 300
/** A change must deliver this much more, or less, to count. */
const MARGIN = 0.12

export interface ClimbState {
  limit: number
  /** The way the last change went: up (more in flight) or down. */
  direction: 1 | -1
  /** What was delivered per window at the limit before the last change. */
  before?: { limit: number; delivered: number }
}

/**
 * The next limit after a window that delivered `delivered` (bytes, plus a share per completed
 * file so that many small answers count too), when demand filled the limit (`busy`). It keeps
 * going the way that delivered more, turns back when a change delivered less, and when a change
 * made no difference it prefers fewer connections: on a link that more requests only split,
 * each file then arrives sooner and go can start on it.
 */
export function nextLimit(state: ClimbState, delivered: number, busy: boolean, ceiling: number): ClimbState {
  if (!busy) return state
  let direction = state.direction
  const { before } = state
  if (before && before.limit !== state.limit) {
    if (delivered < before.delivered * (1 - MARGIN)) {
      // Worse: back to where it was, and try the other way next.
      return { limit: before.limit, direction: state.limit > before.limit ? -1 : 1 }
    }
    if (delivered <= before.delivered * (1 + MARGIN)) direction = -1
  }
  const limit = direction > 0 ? Math.min(ceiling, state.limit * 2) : Math.max(MIN_LIMIT, Math.floor(state.limit / 2))
  if (limit === state.limit) return { limit, direction: direction > 0 ? -1 : 1 }
  return { limit, direction, before: { limit: state.limit, delivered } }
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
