// The probe's hedged cut-off, shared by the module probe and the checksum-database route probe:
// requests go out in parallel; once one has answered, after t, the others are waited for only
// until probeCutoffMs(t) from the start (timing.ts), so a silent candidate costs about half a
// second, not the whole probe timeout.
import { formatDuration } from '../util/duration.ts'
import { probeCutoffMs } from '../util/timing.ts'

export class Cutoff {
  /** Aborted, with the reason to report, for every request still waiting at the cut-off. */
  readonly signal: AbortSignal
  private readonly controller = new AbortController()
  private readonly startedAt = performance.now()
  private readonly timeoutMs: number
  private timer: NodeJS.Timeout | undefined

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs
    this.signal = this.controller.signal
  }

  /** `who` answered after `latencyMs`: the first answer sets the cut-off for the others. */
  answered(latencyMs: number, who: string): void {
    if (this.timer) return
    const deadline = probeCutoffMs(latencyMs, this.timeoutMs)
    const reason = `no answer within ${formatDuration(deadline)}, while ${who} answered in ${formatDuration(latencyMs)}`
    this.timer = setTimeout(() => this.controller.abort(reason), Math.max(0, this.startedAt + deadline - performance.now()))
    this.timer.unref()
  }

  /** Every request is settled: no cut-off is needed any more. */
  clear(): void {
    clearTimeout(this.timer)
  }
}
