// What go's failure means for the next attempt: try again, leave out the candidate that
// served bad bytes, or stop because no retry can fix it. Decided from go's own words only: what
// a server or git said, quoted by go, decides nothing (a server that writes "requires go >= 1.99"
// into a 500 must not end the step).
import type { AttemptOutcome } from './attempt.ts'
import { ABSENT_IN_GO_ERROR } from '../module/absent.ts'
import { GOFLAGS_REFUSED } from '../go/goflags.ts'

export type EndReason =
  | 'ok'
  | 'timeout'
  | 'stall'
  | 'checksum mismatch'
  | 'not found'
  | 'unknown revision'
  | 'invalid go.mod'
  | 'invalid go.work'
  | 'invalid GOFLAGS'
  | 'replacement missing'
  | 'missing go.sum entry'
  | 'proxy disabled'
  | 'go too old'
  | 'bad answer'
  | 'http2 stream error'
  | 'network'
  | 'error'

/** rotate: retry with the next candidate first; drop-first: retry without the first candidate; stop: give up now. */
export type NextStep = 'done' | 'rotate' | 'drop-first' | 'stop'

export interface Classification {
  reason: EndReason
  next: NextStep
  /** The line of go's output that says what went wrong (a server's status text may be in it). */
  detail: string
}

/** A line of go's error output: `words`, go's own, to decide on; `line`, to show. */
interface GoLine {
  words: string
  line: string
}

// cmd/go/internal/web: `reading <url>: <code> <the server's reason phrase>`, then, for a text
// body, `\tserver response: …` and the body's lines, each indented with a tab.
const HTTP_STATUS = /^(.*?\breading \S+: \d{3})\b/
// Where go prints a server's words raw, line breaks and all (modfetch: an .info's Version, a
// zip's file name): nothing from there on is known to be go's.
const RAW_QUOTES = ['proxy returned info for version ', ' has unexpected file ']

/**
 * go's own words among its error lines. Left out: indented lines (what go quotes: a server's
 * response, git's output, the hashes of a mismatch), a server's reason phrase, anything after a
 * \r (go prints none; a server's words can hold one), and every line from a raw quote on.
 */
export function goLines(lines: string[]): GoLine[] {
  const own: GoLine[] = []
  for (const printed of lines) {
    const line = printed.split('\r')[0] as string
    if (/^\s/.test(line)) continue
    const quote = RAW_QUOTES.find(q => line.includes(q))
    if (quote) {
      const words = line.slice(0, line.indexOf(quote) + quote.length).trimEnd()
      own.push({ words, line: words })
      break
    }
    const status = HTTP_STATUS.exec(line)
    own.push({ words: status ? (status[1] as string) : line, line })
  }
  return own
}

const RULES: { reason: EndReason; next: NextStep; pattern: RegExp }[] = [
  // A mirror served bytes that go.sum disagrees with: that candidate is never trusted again.
  { reason: 'checksum mismatch', next: 'drop-first', pattern: /: checksum mismatch$|^SECURITY ERROR$/ },
  // The project's own files and settings: no proxy can change them.
  { reason: 'invalid go.mod', next: 'stop', pattern: /^go: errors parsing go\.mod:$|^\S*go\.mod:\d+(:\d+)?: |go\.mod file not found|^go: updates to go\.mod needed/ },
  { reason: 'invalid go.work', next: 'stop', pattern: /^go: errors parsing go\.work:$|^go: cannot load module .+ listed in go\.work file: / },
  { reason: 'replacement missing', next: 'stop', pattern: /^go: \S+ \(replaced by [^)]+\): reading \S*go\.mod: / },
  { reason: 'invalid GOFLAGS', next: 'stop', pattern: GOFLAGS_REFUSED },
  { reason: 'missing go.sum entry', next: 'stop', pattern: /missing go\.sum entry/ },
  { reason: 'proxy disabled', next: 'stop', pattern: /disabled by GOPROXY=off/ },
  // The installed go is older than go.mod asks, and may not switch: no proxy can change that.
  { reason: 'go too old', next: 'stop', pattern: /requires go >= \S+ \(running go \S+; GOTOOLCHAIN=\S+\)$/ },
  // A proxy answered what go refuses (another version's .info, a zip with foreign files): another may not.
  { reason: 'bad answer', next: 'rotate', pattern: /proxy returned info for version$| has unexpected file$/ },
  { reason: 'unknown revision', next: 'stop', pattern: /unknown revision|invalid version: /i },
  // With `|`, go reports "not found" only when no candidate had the module.
  { reason: 'not found', next: 'stop', pattern: ABSENT_IN_GO_ERROR },
  // golang/go#51323: proxies that reset HTTP/2 streams; the next attempt speaks HTTP/1.1.
  { reason: 'http2 stream error', next: 'rotate', pattern: /stream error|INTERNAL_ERROR|http2: / },
  {
    reason: 'network',
    next: 'rotate',
    pattern: /dial tcp|connection refused|connection reset|i\/o timeout|EOF|TLS|tls:|x509|no such host|\breading \S+: 5\d\d$|unexpected status/
  }
]

export function classify(outcome: Pick<AttemptOutcome, 'exit' | 'endedBy' | 'errors' | 'waitingOn'>): Classification {
  if (outcome.endedBy !== 'exit') {
    const waiting = outcome.waitingOn.slice(0, 3).join(', ')
    return { reason: outcome.endedBy, next: 'rotate', detail: waiting ? `waiting on ${waiting}` : 'no progress' }
  }
  if (outcome.exit.code === 0) return { reason: 'ok', next: 'done', detail: '' }
  const own = goLines(outcome.errors)
  for (const rule of RULES) {
    const found = own.find(l => rule.pattern.test(l.words))
    if (found !== undefined) return { reason: rule.reason, next: rule.next, detail: withQuote(found.line, outcome.errors) }
  }
  const last = own.filter(l => l.words.trim() !== '').at(-1)?.line
  return { reason: 'error', next: 'rotate', detail: last === undefined ? `exit code ${outcome.exit.code ?? outcome.exit.signal}` : withQuote(last, outcome.errors) }
}

/** How much of what go quotes is shown after its line. */
const QUOTE_SHOWN = 300

/**
 * go's line, and when it ends with `:` (go's way of saying its quote follows: git's stderr after
 * `exit status 128:`), the first line it quotes: the reason itself (`fatal: could not read
 * Username …: terminal prompts disabled`), otherwise seen only with the whole output. It decides
 * nothing; it is shown as the rest of the detail is, defused.
 */
function withQuote(line: string, errors: string[]): string {
  const shown = line.trim()
  if (!shown.endsWith(':')) return shown
  const at = errors.findIndex(printed => printed.split('\r')[0] === line)
  if (at < 0) return shown
  const following = errors.slice(at + 1)
  const quoteEnds = following.findIndex(next => !/^\s/.test(next))
  const quoted = following.slice(0, quoteEnds < 0 ? undefined : quoteEnds).find(next => next.trim() !== '')
  if (quoted === undefined) return shown
  // As goLines cuts go's own lines: nothing after a \r, which git's server can put in its words.
  const words = (quoted.split('\r')[0] as string).trim()
  return `${shown} ${words.length > QUOTE_SHOWN ? `${words.slice(0, QUOTE_SHOWN)}…` : words}`
}
