// What this job may do with the cache service: ACTIONS_CACHE_MODE, read by @actions/cache's own
// functions, so that the action and the library never disagree (none, read, write, write-only;
// unset or unknown allows both), and the service's own refusals, which @actions/cache tells
// apart by the prefix of their message.
import { getCacheMode, isCacheReadable, isCacheWritable } from '../../node_modules/@actions/cache/lib/internal/config.js'
import { CacheReadDeniedMessagePrefix } from '../../node_modules/@actions/cache/lib/internal/constants.js'

/** The service's refusal to read, for a token without readable cache scopes. */
export const READ_DENIED = CacheReadDeniedMessagePrefix
/** The service's refusal to reserve an entry, for a token the issuer made read-only (an untrusted event). The library exports it from its main file only, which the step does not load. */
export const WRITE_DENIED = 'cache write denied:'

/** Why this job may not read the cache, or undefined when it may. */
export function readForbidden(): string | undefined {
  const mode = getCacheMode()
  return isCacheReadable(mode) ? undefined : `ACTIONS_CACHE_MODE is ${mode}`
}

/** Why this job may not write the cache, or undefined when it may. */
export function writeForbidden(): string | undefined {
  const mode = getCacheMode()
  return isCacheWritable(mode) ? undefined : `ACTIONS_CACHE_MODE is ${mode}`
}

/** A save the policy does not allow, in words: restore-only when reading is allowed, else off. */
export function savePolicy(why: string): string {
  return `${readForbidden() ? 'off' : 'restore-only'} by policy (${why})`
}
