// The check of the starting module cache in one line, for the log and the summary.
import { formatDuration } from '../util/duration.ts'
import type { VerifyReport } from './verify.ts'

/** What the check of the starting module cache hashed, in how long, and what it threw away. */
export function describeVerify(v: VerifyReport): string {
  const counted = [`${v.zips} zips`, `${v.trees} extracted trees`, `${v.mods} go.mod files`].join(', ')
  const outcome = v.discarded.length === 0 ? 'all match' : `${v.discarded.length} discarded`
  return `${counted} in ${formatDuration(v.durationMs)}: ${outcome}`
}
