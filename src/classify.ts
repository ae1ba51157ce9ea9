// What go's failure means for the next attempt: try again, leave out the candidate that
// served bad bytes, or stop because no retry can fix it.
import type { AttemptOutcome } from './attempt.ts'
import { ABSENT_IN_GO_OUTPUT } from './module/absent.ts'

export type EndReason =
  | 'ok'
  | 'timeout'
  | 'stall'
  | 'checksum mismatch'
  | 'not found'
  | 'unknown revision'
  | 'invalid go.mod'
  | 'missing go.sum entry'
  | 'proxy disabled'
  | 'go too old'
  | 'http2 stream error'
  | 'network'
  | 'error'

/** rotate: retry with the next candidate first; drop-first: retry without the first candidate; stop: give up now. */
export type NextStep = 'done' | 'rotate' | 'drop-first' | 'stop'

export interface Classification {
  reason: EndReason
  next: NextStep
  /** The line of go's output that says what went wrong. */
  detail: string
}

const RULES: { reason: EndReason; next: NextStep; pattern: RegExp }[] = [
  // A mirror served bytes that go.sum disagrees with: that candidate is never trusted again.
  { reason: 'checksum mismatch', next: 'drop-first', pattern: /checksum mismatch|SECURITY ERROR/ },
  { reason: 'invalid go.mod', next: 'stop', pattern: /errors parsing go\.mod|go\.mod:\d+:|go\.mod file not found|updates to go\.mod needed/ },
  { reason: 'missing go.sum entry', next: 'stop', pattern: /missing go\.sum entry/ },
  { reason: 'proxy disabled', next: 'stop', pattern: /disabled by GOPROXY=off/ },
  // The installed go is older than go.mod asks, and may not switch: no proxy can change that.
  { reason: 'go too old', next: 'stop', pattern: /requires go >= / },
  { reason: 'unknown revision', next: 'stop', pattern: /unknown revision|invalid version: /i },
  // With `|`, go reports "not found" only when no candidate had the module.
  { reason: 'not found', next: 'stop', pattern: new RegExp(`: ${ABSENT_IN_GO_OUTPUT.source}|server response: not found`) },
  // golang/go#51323: proxies that reset HTTP/2 streams; the next attempt speaks HTTP/1.1.
  { reason: 'http2 stream error', next: 'rotate', pattern: /stream error|INTERNAL_ERROR|http2: / },
  {
    reason: 'network',
    next: 'rotate',
    pattern: /dial tcp|connection refused|connection reset|i\/o timeout|EOF|TLS|tls:|x509|no such host|: 5\d\d |unexpected status/
  }
]

export function classify(outcome: Pick<AttemptOutcome, 'exit' | 'endedBy' | 'errors' | 'waitingOn'>): Classification {
  if (outcome.endedBy !== 'exit') {
    const waiting = outcome.waitingOn.slice(0, 3).join(', ')
    return { reason: outcome.endedBy, next: 'rotate', detail: waiting ? `waiting on ${waiting}` : 'no progress' }
  }
  if (outcome.exit.code === 0) return { reason: 'ok', next: 'done', detail: '' }
  const errors = outcome.errors
  for (const rule of RULES) {
    const line = errors.find(l => rule.pattern.test(l))
    if (line !== undefined) return { reason: rule.reason, next: rule.next, detail: line.trim() }
  }
  const last = errors.filter(l => l.trim() !== '').at(-1) ?? `exit code ${outcome.exit.code ?? outcome.exit.signal}`
  return { reason: 'error', next: 'rotate', detail: last.trim() }
}
