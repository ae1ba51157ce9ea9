// What the fetch saw of one candidate, and the rules that move it behind the others.

export interface CandidateStats {
  requests: number
  /** Body bytes received from it. */
  bytes: number
  /** Files it served that were kept (verified, and first). */
  served: number
  /** Errors and bad statuses. */
  failures: number
  /** Requests that stalled: below the floor rate for their window, overtaken by a hedge before they answered, or overtaken while their body was too slow. */
  stalls: number
  /** The most stalls in a row of one kind of file (zips, say), with no file of that kind served since. */
  stallStreak: number
  /** 404 or 410: no fault of its own. */
  notFound: number
  /** Answers whose bytes did not match go.sum. */
  rejected: number
  /** Hedged requests to it that won, and that lost. */
  hedgesWon: number
  hedgesLost: number
}

export const emptyStats = (): CandidateStats => ({ requests: 0, bytes: 0, served: 0, failures: 0, stalls: 0, stallStreak: 0, notFound: 0, rejected: 0, hedgesWon: 0, hedgesLost: 0 })

/** Stalls in a row that are trouble however many requests went well besides. */
export const STALL_STREAK = 3

/**
 * A candidate that served wrong bytes even once goes behind the others, and so does one whose
 * failures and stalls reach 3 and a tenth of its requests (a few latency spikes among hundreds of
 * requests are not trouble), and one whose last 3 requests for one kind of file stalled, until
 * it serves a file of that kind again: a candidate that answers .mod and .info files at once and
 * stalls on every zip would otherwise be asked first for each zip in turn, each costing a hedge's
 * wait, its quick answers keeping its stalls under a tenth of its requests.
 */
export function isTroubled(s: Pick<CandidateStats, 'requests' | 'failures' | 'stalls' | 'stallStreak' | 'rejected'>): boolean {
  return s.rejected > 0 || failsOften(s) || s.stallStreak >= STALL_STREAK
}

/** Failures and stalls of at least 3, and a tenth of its requests. */
function failsOften(s: Pick<CandidateStats, 'requests' | 'failures' | 'stalls'>): boolean {
  const bad = s.failures + s.stalls
  return bad >= 3 && bad * 10 >= s.requests
}

/** The one-line reason a troubled candidate was moved behind, for the summary. */
export function movedBecause(s: CandidateStats): string | undefined {
  if (!isTroubled(s)) return undefined
  if (s.rejected > 0) return `served bytes go.sum disagrees with (${s.rejected}×); moved behind`
  const parts = [s.stalls > 0 ? `stalled on ${s.stalls}` : '', s.failures > 0 ? `failed ${s.failures}` : ''].filter(Boolean)
  // Said when the streak alone is what moved it.
  const streak = failsOften(s) ? '' : `, ${s.stallStreak} of one kind in a row`
  return `${parts.join(' and ')} of ${s.requests} requests${streak}; moved behind`
}
