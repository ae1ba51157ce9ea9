// How many speculative requests to keep in flight: as many as pay. On a latency-bound link more
// requests deliver more; on a bandwidth-bound one they only split the link, so that every file
// arrives late and go can start on none of them. The limit climbs while what is delivered grows
// with it, and falls back where growing did not pay; `concurrency` is the ceiling.

export const START_LIMIT = 16
export const WINDOW_MS = 200
/** Growing must deliver this much more to count as paying. */
const GAIN = 1.15
/** Windows to hold a limit that did not pay before trying to grow again. */
const HOLD_WINDOWS = 8

export interface ClimbState {
  limit: number
  /** What was delivered per window at the limit before the last change. */
  before?: { limit: number; delivered: number }
  hold: number
}

/**
 * The next limit after a window that delivered `delivered` (bytes, plus a share per completed
 * file so that many small answers count too), when demand filled the limit (`busy`).
 */
export function nextLimit(state: ClimbState, delivered: number, busy: boolean, ceiling: number): ClimbState {
  if (!busy) return state
  const { before } = state
  if (before && state.limit > before.limit && delivered < before.delivered * GAIN) {
    // The last step up did not pay: back to where it was, and stay a while.
    return { limit: before.limit, hold: HOLD_WINDOWS }
  }
  if (state.hold > 0) return { ...state, hold: state.hold - 1 }
  if (state.limit >= ceiling) return { limit: ceiling, hold: 0 }
  return { limit: Math.min(ceiling, state.limit * 2), before: { limit: state.limit, delivered }, hold: 0 }
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
    if (this.active >= this.limit) await new Promise<void>(resolve => this.waiting.push(resolve))
    this.active++
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
    while (this.active < this.limit && this.waiting.length > 0) (this.waiting.shift() as () => void)()
  }
}
