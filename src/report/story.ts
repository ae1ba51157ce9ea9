// The run at a glance: the headline (the proxy that served, what was moved behind it and why,
// how long, how much), and why an attempt's first in line is not that proxy.
import type { DirectFetch, DirectReason } from '../download/direct.ts'
import { formatDuration } from '../util/duration.ts'
import { formatSize } from '../util/size.ts'
import { counted } from '../util/plural.ts'
import type { RunFacts } from './facts.ts'

/** How many candidates the headline names as moved behind; the rest are counted. */
const MOVED_NAMED = 3

const PROBE_WORDS = { unhealthy: 'unhealthy at the probe', slow: 'too slow at the probe' }

/** The zips that reached go's module cache through GOPROXY: the fetch's, those go fetched from the chain itself, and those it read from file:// entries. */
export const proxiedZips = (facts: RunFacts) => facts.attempts.reduce((n, a) => n + a.zips, (facts.fetch?.zips ?? 0) + (facts.fromFiles ?? 0))

export function headline(facts: RunFacts): string {
  const time = facts.durationMs === undefined ? '' : ` in ${formatDuration(facts.durationMs)}`
  if (!facts.ok) {
    const n = facts.attempts.length
    return `❌ Go modules could not be downloaded${n > 0 ? ` after ${counted(n, 'attempt')}` : ''}${time}`
  }
  const data = [facts.fetch && facts.fetch.bytes > 0 ? `${formatSize(facts.fetch.bytes)} fetched` : '', facts.restore.bytes ? `${formatSize(facts.restore.bytes)} from the cache` : ''].filter(Boolean)
  const moved = movedBehind(facts)
  const named = moved.slice(0, MOVED_NAMED).map(m => `${m.display} (${m.why})`)
  if (moved.length > MOVED_NAMED) named.push(`${moved.length - MOVED_NAMED} more`)
  const story = `✅ Go modules ready: ${downloadedWords(proxiedZips(facts), facts.direct ?? [], facts.chosen)}${time}${data.map(d => `, ${d}`).join('')}`
  return named.length > 0 ? `${story}; moved behind: ${named.join(', ')}` : story
}

/** The headline's count: through which proxy, and how many direct and why. */
function downloadedWords(proxied: number, direct: DirectFetch[], chosen: string | undefined): string {
  const through = chosen && chosen !== 'direct' ? ` through ${chosen}` : ''
  if (direct.length === 0) return `${proxied} downloaded${through}`
  const why = `direct (${[...new Set(direct.map(d => REASON_NAMES[d.why]))].join(', ')})`
  if (proxied === 0) return `${direct.length} downloaded ${why}`
  return `${proxied + direct.length} downloaded: ${proxied}${through || ' through the proxies'}, ${direct.length} ${why}`
}

export const REASON_NAMES: Record<DirectReason, string> = { GOPRIVATE: 'GOPRIVATE', GONOPROXY: 'GONOPROXY', direct: 'direct in GOPROXY' }

/**
 * The candidates that did not serve, each with the first thing that put it behind: its probe, the
 * fetch (stalls, failures, wrong bytes), or an attempt go gave up on with it first in line.
 */
export function movedBehind(facts: RunFacts): { display: string; why: string }[] {
  return facts.probes.flatMap(p => {
    const display = p.candidate.display
    if (display === facts.chosen) return []
    const why = p.verdict === 'unhealthy' || p.verdict === 'slow' ? PROBE_WORDS[p.verdict] : (fetchMoved(facts, display) ?? failedAttempt(facts, display))
    return why ? [{ display, why }] : []
  })
}

/** Why the fetch moved a candidate behind, in its own words less the "moved behind" they end with. */
function fetchMoved(facts: RunFacts, display: string): string | undefined {
  const moved = facts.fetch?.candidates.find(c => c.candidate.display === display)?.moved
  return moved?.replace(/; moved behind$/, '')
}

function failedAttempt(facts: RunFacts, display: string): string | undefined {
  const failed = facts.attempts.find(a => a.first === display && a.reason !== 'ok')
  return failed ? `attempt ${failed.number} ended in ${failed.reason}` : undefined
}

/**
 * Why an attempt's first in line is not the proxy the headline names: said next to the
 * Attempts table, for each attempt where they differ.
 */
export function firstInLineNotes(facts: RunFacts): string[] {
  const chosen = facts.chosen
  if (!facts.ok || !chosen) return []
  const candidates = new Set(facts.probes.map(p => p.candidate.display))
  return facts.attempts
    .filter(a => a.first !== chosen && candidates.has(a.first))
    .map(a => {
      const first = `Attempt ${a.number}'s first in line, ${a.first}, is not the proxy that served`
      if (a.reason !== 'ok') return `${first}: go gave up on that attempt (${a.reason}), and the next one started with the candidate behind it.`
      const moved = fetchMoved(facts, a.first)
      if (moved) return `${first}: during the fetch it ${moved}, so it was moved behind and ${chosen} served what go asked for.`
      return `${first}: it served none of what go asked for, and ${chosen} did.`
    })
}
