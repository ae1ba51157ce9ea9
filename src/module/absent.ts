// How a module proxy says it has no such module or version: 404 or 410. It is an answer, not a
// fault: go moves on to the next proxy after it even with `,`, and the action counts no failure.

export function isAbsent(status: number): boolean {
  return status === 404 || status === 410
}

/**
 * go's error line for those answers, as classify.ts reads it (go's own words: the reason phrase a
 * server sent is cut): `reading <url>: 404`; from a file:// proxy, a file that is not there.
 */
export const ABSENT_IN_GO_ERROR = /\breading \S+: (404|410)$|\breading file:\S+: no such file or directory$/
