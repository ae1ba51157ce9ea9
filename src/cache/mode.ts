// What this job may do with the cache service: ACTIONS_CACHE_MODE (none, read, write,
// write-only; unset or unknown allows both, as the runner's older jobs expect), and the service's
// own refusals, which @actions/cache tells apart by the prefix of their message. The engine may
// not import @actions/* (test/boundary.test.ts): the rule is @actions/cache's, restated here, and
// test/cache-mode.test.ts holds it against the library's own functions and constants.
const KNOWN_MODES = ['none', 'read', 'write', 'write-only']

/** The service's refusal to read, for a token without readable cache scopes. */
export const READ_DENIED = 'cache read denied:'
/** The service's refusal to reserve an entry, for a token the issuer made read-only (an untrusted event). */
export const WRITE_DENIED = 'cache write denied:'

/** The job's mode as the runner exports it, '' when unset. */
export function cacheMode(env: NodeJS.ProcessEnv = process.env): string {
  return (env.ACTIONS_CACHE_MODE || '').trim().toLowerCase()
}

export function modeReadable(mode: string): boolean {
  return !KNOWN_MODES.includes(mode) || mode === 'read' || mode === 'write'
}

export function modeWritable(mode: string): boolean {
  return !KNOWN_MODES.includes(mode) || mode === 'write' || mode === 'write-only'
}

/** Why this job may not read the cache, or undefined when it may. */
export function readForbidden(): string | undefined {
  const mode = cacheMode()
  return modeReadable(mode) ? undefined : `ACTIONS_CACHE_MODE is ${mode}`
}

/** Why this job may not write the cache, or undefined when it may. */
export function writeForbidden(): string | undefined {
  const mode = cacheMode()
  return modeWritable(mode) ? undefined : `ACTIONS_CACHE_MODE is ${mode}`
}

/** A save the policy does not allow, in words: restore-only when reading is allowed, else off. */
export function savePolicy(why: string): string {
  return `${readForbidden() ? 'off' : 'restore-only'} by policy (${why})`
}
