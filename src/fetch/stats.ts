// What the fetch saw of one candidate, and the rules that move it behind the others.

export interface CandidateStats {
  requests: number
  /** Body bytes received from it. */
  bytes: number
  /** Files it served that were kept (verified, and first). */
  served: number
  /** Errors and bad statuses. */
  failures: number
  /** Connections that fell silent past the silence limit. */
  stalls: number
  /** 404 or 410: no fault of its own. */
  notFound: number
  /** Answers whose bytes did not match go.sum. */
  rejected: number
  /** Hedged requests to it that won, and that lost. */
  hedgesWon: number
  hedgesLost: number
}

export const emptyStats = (): CandidateStats => ({ requests: 0, bytes: 0, served: 0, failures: 0, stalls: 0, notFound: 0, rejected: 0, hedgesWon: 0, hedgesLost: 0 })

/**
 * A candidate that served wrong bytes even once goes behind the others, and so does one whose
 * failures and stalls reach 3 and a tenth of its requests (a few latency spikes among hundreds of
 * requests are not trouble).
 */
export function isTroubled(s: Pick<CandidateStats, 'requests' | 'failures' | 'stalls' | 'rejected'>): boolean {
  const bad = s.failures + s.stalls
  return s.rejected > 0 || (bad >= 3 && bad * 10 >= s.requests)
}

/** The one-line reason a troubled candidate was moved behind, for the summary. */
export function movedBecause(s: CandidateStats): string | undefined {
  if (!isTroubled(s)) return undefined
  if (s.rejected > 0) return `served bytes go.sum disagrees with (${s.rejected}×); moved behind`
  const parts = [s.stalls > 0 ? `stalled on ${s.stalls}` : '', s.failures > 0 ? `failed ${s.failures}` : ''].filter(Boolean)
  return `${parts.join(' and ')} of ${s.requests} requests; moved behind`
}
