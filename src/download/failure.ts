// The step's error when go's download fails: what each candidate's probe found and how its
// attempts ended, in words for the log and the summary's failure block.
import type { ProbeResult } from '../probe/probe.ts'
import type { AttemptRecord } from './retry.ts'

/** The step's error: each candidate, what its probe found, and how its attempts ended. */
export function describeFailure(probes: ProbeResult[], attempts: AttemptRecord[]): string {
  const lines = [`go mod download failed after ${attempts.length} attempt${attempts.length === 1 ? '' : 's'}.`]
  for (const probe of probes) {
    const own = attempts.filter(a => a.first === probe.candidate.display)
    const tried = own.map(a => `attempt ${a.number}: ${a.reason}${a.detail ? ` (${a.detail})` : ''}`)
    lines.push(`- ${probe.candidate.display}: ${probe.verdict}, ${probe.reason}${tried.length ? `; ${tried.join('; ')}` : ''}`)
  }
  const last = attempts.at(-1)
  if (last) lines.push(`Last error: ${last.reason}${last.detail ? `: ${last.detail}` : ''}`)
  return lines.join('\n')
}
