// The action's inputs: read, defaulted, validated. Every error names its input and comes
// before any network request.
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { redactEntry, refusedSecrets } from '../util/credentials.ts'
import { formatDuration, parseDuration } from '../util/duration.ts'
import { type Candidate, EntryError, parseCandidates } from '../go/goproxy.ts'

export type Selection = 'ordered' | 'fastest'
export type CacheContents = 'everything' | 'downloads'

export interface Settings {
  /** Undefined when `proxies` is blank: go's own GOPROXY is read later. */
  candidates: Candidate[] | undefined
  selection: Selection
  probeTimeoutMs: number
  timeoutMs: number
  stallTimeoutMs: number
  retries: number
  workingDirectory: string
  cache: boolean
  cacheDependencyPath: string[]
  saveCache: boolean
  cacheContents: CacheContents
  /** Keep GOCACHE between jobs: restored here, saved by the post step. */
  buildCache: boolean
  prefetch: boolean
  concurrency: number
  /** Bounds each of restore and save: a cache service must not hold the job. */
  cacheTimeoutMs: number
  /** Keep the action's proxy in front of the exported chain for the rest of the job. */
  protectLaterSteps: boolean
  /** It stops after this long without a request. */
  laterStepsIdleMs: number
}

/** Mirrors action.yml's defaults (a test keeps them equal), for blank inputs and local runs. */
export const DEFAULTS = {
  proxies: '',
  selection: 'ordered',
  'probe-timeout': '5s',
  timeout: '10m',
  'stall-timeout': '60s',
  retries: '3',
  'working-directory': '.',
  cache: 'true',
  'cache-dependency-path': '',
  'save-cache': 'true',
  'cache-contents': 'downloads',
  'build-cache': 'false',
  prefetch: 'true',
  concurrency: '64',
  'cache-timeout': '5m',
  'protect-later-steps': 'true',
  'later-steps-idle-timeout': '2h'
} as const

export type InputName = keyof typeof DEFAULTS

/**
 * The longest any duration input may be: 120 hours, the longest a job runs (5 days on a
 * self-hosted runner; 6 hours on a hosted one). Every timer the action sets is at most four
 * times a duration input (the fetch's hedge, after 4× a first byte that stall-timeout bounds),
 * and 4 × 120 h stays below node's largest timer, 2^31-1 ms (24.8 days), past which node fires
 * a timer at once.
 */
export const MAX_DURATION_MS = 120 * 3_600_000

export const MAX_RETRIES = 20
export const MAX_CONCURRENCY = 256

export class InputError extends Error {
  readonly input: string
  /** What is wrong, without the input's name. */
  readonly problem: string
  /** Credentials the value held, which the problem does not show: to be masked all the same. */
  readonly secrets: string[]
  /**
   * `input`: an input's name, or a setting that is none (`GOFLAGS (from go env GOFLAGS)`,
   * `proxies (from go env GOPROXY)`), which the message does not call an input.
   */
  constructor(input: string, problem: string, secrets: string[] = []) {
    super(/^[a-z-]+$/.test(input) ? `Input "${input}": ${problem}` : `${input}: ${problem}`)
    this.name = 'InputError'
    this.input = input
    this.problem = problem
    this.secrets = secrets
  }
}

export type ReadInput = (name: InputName) => string

export function parseSettings(read: ReadInput, workspace: string): Settings {
  const value = (name: InputName) => read(name).trim() || DEFAULTS[name]
  const workingDirectory = path.resolve(workspace, value('working-directory'))
  // Every value is checked before the folder is looked at: which error comes first does not
  // depend on where a setting sits in this list.
  const settings = {
    candidates: read('proxies').trim() === '' ? undefined : candidatesFrom('proxies', value('proxies')),
    selection: oneOf('selection', value('selection'), ['ordered', 'fastest']),
    probeTimeoutMs: duration('probe-timeout', value('probe-timeout')),
    timeoutMs: duration('timeout', value('timeout')),
    stallTimeoutMs: duration('stall-timeout', value('stall-timeout')),
    retries: wholeNumber('retries', value('retries'), 0, MAX_RETRIES),
    cache: boolean('cache', value('cache')),
    cacheDependencyPath: value('cache-dependency-path')
      .split('\n')
      .map(l => l.trim())
      .filter(l => l !== ''),
    saveCache: boolean('save-cache', value('save-cache')),
    cacheContents: oneOf('cache-contents', value('cache-contents'), ['downloads', 'everything']),
    buildCache: boolean('build-cache', value('build-cache')),
    prefetch: boolean('prefetch', value('prefetch')),
    concurrency: wholeNumber('concurrency', value('concurrency'), 1, MAX_CONCURRENCY),
    cacheTimeoutMs: duration('cache-timeout', value('cache-timeout')),
    protectLaterSteps: boolean('protect-later-steps', value('protect-later-steps')),
    laterStepsIdleMs: duration('later-steps-idle-timeout', value('later-steps-idle-timeout'))
  }
  return { ...settings, workingDirectory: goModuleDir(workingDirectory) }
}

/** Parses a candidate list, blaming `input` (also used for the GOPROXY that go reports). */
export function candidatesFrom(input: string, text: string): Candidate[] {
  try {
    return parseCandidates(text)
  } catch (e) {
    throw new InputError(input, (e as Error).message, e instanceof EntryError ? e.secrets : [])
  }
}

/**
 * A value refused, as its message quotes it: an input's value may be a proxy URL put in the
 * wrong place (a forgotten `--proxies`), so what could be its credentials is hidden and kept secret.
 */
function refused(input: InputName, text: string, problem: string): InputError {
  return new InputError(input, `"${redactEntry(text)}" ${problem}`, refusedSecrets(text))
}

function oneOf<T extends string>(input: InputName, text: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(text)) return text as T
  throw refused(input, text, `is not one of: ${allowed.join(', ')}`)
}

function duration(input: InputName, text: string): number {
  const ms = parseDuration(text)
  if (ms === undefined) {
    throw refused(input, text, 'is not a duration; write it like 90s, 1m30s, 10m or a number of seconds')
  }
  if (ms <= 0) throw refused(input, text, 'must be longer than zero')
  if (ms > MAX_DURATION_MS) throw refused(input, text, `is longer than the ${formatDuration(MAX_DURATION_MS)} allowed (no job runs longer)`)
  return ms
}

function wholeNumber(input: InputName, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw refused(input, text, `is not a whole number of ${min === 0 ? 'zero' : min} or more`)
  const n = Number(text)
  if (n < min) throw new InputError(input, `${n} is less than ${min}`)
  if (n > max) throw new InputError(input, `${n} is more than the ${max} allowed`)
  return n
}

// YAML 1.2 core booleans, as @actions/core's getBooleanInput accepts them.
const TRUE = ['true', 'True', 'TRUE']
const FALSE = ['false', 'False', 'FALSE']

function boolean(input: InputName, text: string): boolean {
  if (TRUE.includes(text)) return true
  if (FALSE.includes(text)) return false
  throw refused(input, text, 'is not true or false')
}

function goModuleDir(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError('working-directory', `${dir} is not a directory`)
  }
  if (!existsSync(path.join(dir, 'go.mod')) && !existsSync(path.join(dir, 'go.work'))) {
    throw new InputError('working-directory', `${dir} holds neither go.mod nor go.work`)
  }
  return dir
}
