// The step's error when go's download fails: what each candidate's probe found and how its
// attempts ended, in words for the log and the summary's failure block.
import type { ProbeResult } from '../probe/probe.ts'
import type { AttemptRecord } from './retry.ts'
import { counted } from '../util/plural.ts'

/** The step's error: each candidate, what its probe found, and how its attempts ended. */
export function describeFailure(probes: ProbeResult[], attempts: AttemptRecord[]): string {
  const lines = [`go mod download failed after ${counted(attempts.length, 'attempt')}.`]
  for (const probe of probes) {
    const tried = endings(attempts.filter(a => a.first === probe.candidate.display))
    lines.push(`- ${probe.candidate.display}: ${probe.verdict}, ${probe.reason}${tried.length ? `; ${tried.join('; ')}` : ''}`)
  }
  const last = attempts.at(-1)
  if (last) lines.push(`Last error: ${last.reason}${last.detail ? `: ${last.detail}` : ''}`)
  return lines.join('\n')
}

/** How a candidate's attempts ended, attempts that ended alike said once: `attempts 1, 2 and 4: network (…)`. */
function endings(own: AttemptRecord[]): string[] {
  const byWords = new Map<string, number[]>()
  for (const a of own) {
    const words = `${a.reason}${a.detail ? ` (${a.detail})` : ''}`
    byWords.set(words, [...(byWords.get(words) ?? []), a.number])
  }
  return [...byWords].map(([words, numbers]) => `${numbers.length === 1 ? 'attempt' : 'attempts'} ${listed(numbers)}: ${words}`)
}

const listed = (numbers: number[]) => (numbers.length === 1 ? String(numbers[0]) : `${numbers.slice(0, -1).join(', ')} and ${numbers.at(-1)}`)
