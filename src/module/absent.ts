// How a module proxy says it has no such module or version: 404 or 410. It is an answer, not a
// fault: go moves on to the next proxy after it even with `,`, and the action counts no failure.

export function isAbsent(status: number): boolean {
  return status === 404 || status === 410
}

/** go's words for those answers, in its -x lines (`: 404 Not Found (0.1s)`) and its errors. */
export const ABSENT_IN_GO_OUTPUT = /\b(404 Not Found|410 Gone)\b/
