// One `go mod download` under a watchdog: killed, with its whole tree, when it runs past
// its time limit or stops making useful progress: no completed request, and no bytes at the
// floor rate, for stall-timeout.
import path from 'node:path'
import { treeBytes } from '../util/files.ts'
import { goflagsFields } from '../go/goflags.ts'
import { packsOnDisk } from '../go/git.ts'
import { isAbsent } from '../module/absent.ts'
import { type Exit, spawnGroup } from '../util/process.ts'
import { type Classification, classify } from './classify.ts'
import { FLOOR_BYTES_PER_SEC, stallCheckEveryMs } from '../util/timing.ts'

export type EndedBy = 'exit' | 'timeout' | 'stall'

export interface AttemptOutcome {
  exit: Exit
  endedBy: EndedBy
  durationMs: number
  /** The last lines go printed other than -x's request lines: its errors. */
  errors: string[]
  /** Requests started and not answered when the attempt ended: where go was stuck. */
  waitingOn: string[]
  /** Module zips go fetched in this attempt (from -x's `# get …zip: 200` lines), but for those from `notCountingZipsFrom`. */
  zips: number
  /** Requests that ended in an error or an HTTP status other than 2xx, 404 and 410 (go's own fall-through signals). */
  failedRequests: string[]
  /** What the attempt's end means for the next one: decided once, here, for everyone who asks. */
  classification: Classification
}

export interface AttemptOptions {
  go: string
  cwd: string
  env: Record<string, string>
  modcache: string
  timeoutMs: number
  stallTimeoutMs: number
  onLine?: (line: string) => void
  /** Zips go fetched from here (the local proxy) were counted where they were fetched. */
  notCountingZipsFrom?: string
  /** Bytes arriving elsewhere for go (the local proxy's upstream fetches): progress too, while go waits on them, at the floor rate. */
  progress?: () => number
  /** What to download (`path@version`); by default, the main module's needs. */
  modules?: string[]
  /** What else go was stuck on when it ended, besides its open requests (the clones it ran, from its -x output). */
  alsoWaitingOn?: () => string[]
}

const TAIL_LINES = 60
// `-x` prints `# get URL` when a request starts and `# get URL: 200 OK (0.1s)` when it ends.
const REQUEST = /^# get (\S+?)(:\s.*)?$/
const ZIP_FETCHED = /^# get \S+\.zip: 200 /
const STATUS = /^: (\d{3}) /
/** A 2xx, or a proxy's word that it lacks the module: an answer, not a failure. */
const answered = (rest: string) => {
  const status = Number(STATUS.exec(rest)?.[1])
  return (status >= 200 && status < 300) || isAbsent(status)
}

/**
 * The count of each module cache under way, whichever attempt began it. One that never ends (a
 * mount that never answers) keeps one of libuv's few threads in the kernel for good: a later
 * attempt waits on the same count instead of losing another thread to a new one, so that retries
 * cannot take every thread and leave the step's file reads (its cache save) waiting behind them.
 */
const counting = new Map<string, Promise<number>>()

export async function runAttempt(options: AttemptOptions): Promise<AttemptOutcome> {
  const started = performance.now()
  // cache/download receives proxy downloads, cache/vcs the git clones of direct fetches.
  const cacheDir = path.join(options.modcache, 'cache')
  const errors: string[] = []
  const open = new Set<string>()
  const failedRequests: string[] = []
  let zips = 0
  let lastProgress = started
  // No walk before go starts: the first check takes the baseline (see `comparable` below).
  let lastBytes = 0
  let measuredAt = started

  const child = spawnGroup(options.go, ['mod', 'download', '-x', ...(options.modules ?? [])], {
    cwd: options.cwd,
    env: options.env,
    onLine: line => {
      options.onLine?.(line)
      const request = REQUEST.exec(line)
      if (request && request[2] === undefined) {
        // A request started: not progress until it ends.
        open.add(request[1] as string)
        return
      }
      lastProgress = performance.now()
      if (request) {
        open.delete(request[1] as string)
        if (!answered(request[2] as string)) failedRequests.push(request[1] as string)
      } else {
        errors.push(line)
        if (errors.length > TAIL_LINES) errors.shift()
      }
      if (ZIP_FETCHED.test(line) && !(options.notCountingZipsFrom && line.startsWith(`# get ${options.notCountingZipsFrom}/`))) zips++
    }
  })

  let endedBy: EndedBy = 'exit'
  /** Set once go has ended, whatever ended it. */
  let exited = false
  const end = (by: EndedBy) => {
    endedBy = by
    void child.kill()
  }
  const tick = stallCheckEveryMs(options.stallTimeoutMs)
  /** When the count of the module cache's bytes under way began. */
  let countingSince: number | undefined
  const watchdog = setInterval(async () => {
    if (endedBy !== 'exit') return
    const now = performance.now()
    // Decided whatever the count is doing: a count stuck in the module cache (a file system that
    // never answers, mounted or linked there by another of its users) keeps go past no bound.
    if (now - started > options.timeoutMs) return end('timeout')
    if (countingSince !== undefined) {
      // A count that does not end says nothing of progress: as long as a stall, it is one.
      if (now - Math.max(countingSince, lastProgress) > options.stallTimeoutMs) end('stall')
      return
    }
    if (now - lastProgress <= tick) return
    // No completed request lately: bytes still arriving in the module cache count as progress
    // when they come at the floor rate (a trickle does not), measured against a count taken
    // after the last completed request.
    countingSince = now
    let count = counting.get(cacheDir)
    if (!count) {
      count = treeBytes(cacheDir).finally(() => counting.delete(cacheDir))
      counting.set(cacheDir, count)
    }
    const bytes = (await count) + (options.progress?.() ?? 0)
    countingSince = undefined
    // go may have ended meanwhile, of itself: nothing left to end.
    if (endedBy !== 'exit' || exited) return
    const comparable = measuredAt > lastProgress
    const since = measuredAt
    measuredAt = performance.now()
    if (comparable && bytes - lastBytes >= (FLOOR_BYTES_PER_SEC * (measuredAt - since)) / 1000) lastProgress = measuredAt
    lastBytes = bytes
    if (measuredAt - lastProgress > options.stallTimeoutMs) end('stall')
  }, tick)

  try {
    const exit = await child.exited
    exited = true
    const ended = { exit, endedBy, durationMs: performance.now() - started, errors, waitingOn: [...open, ...(options.alsoWaitingOn?.() ?? [])], zips, failedRequests }
    return { ...ended, classification: classify(ended) }
  } finally {
    clearInterval(watchdog)
  }
}

const isModcacherw = (flag: string) => /^--?modcacherw(=|$)/.test(flag)

/**
 * The environment of a download: the chain, a writable module cache, guards for git (and its
 * packs written as they arrive, which the watchdog counts), and
 * with `http1`, go's HTTP/2 client off.
 * `goflags` is what `go env GOFLAGS` reports, so flags set with `go env -w` are kept too.
 */
export function downloadEnv(base: Record<string, string>, goproxy: string, goflags: string, http1 = false): Record<string, string> {
  // Added to the user's text as written: split and joined again, a quoted flag would lose its quotes.
  const flags = goflagsFields(goflags).some(isModcacherw) ? goflags.trim() : [goflags.trim(), '-modcacherw'].filter(Boolean).join(' ')
  const guards: Record<string, string> = {
    GIT_TERMINAL_PROMPT: '0',
    GCM_INTERACTIVE: 'never',
    // git aborts a transfer slower than 1 KB/s for 30 s instead of hanging on it.
    GIT_HTTP_LOW_SPEED_LIMIT: '1000',
    GIT_HTTP_LOW_SPEED_TIME: '30'
  }
  if (!base.GIT_SSH_COMMAND && !base.GIT_SSH) {
    guards.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes -o ConnectTimeout=30'
  }
  return { ...guards, ...base, ...packsOnDisk(base), GOPROXY: goproxy, GOFLAGS: flags, ...(http1 ? { GODEBUG: withHttp1(base.GODEBUG) } : {}) }
}

/** Whether go, run by downloadEnv with these GOFLAGS, leaves the directories it extracts writable: unless the user set -modcacherw=false. */
export function extractsWritable(goflags: string): boolean {
  const last = goflagsFields(goflags).filter(isModcacherw).pop()
  return last === undefined || !/=(false|0|f|F|FALSE|False)$/.test(last)
}

/** The user's GODEBUG with go's HTTP/2 client turned off: proxies that reset streams (golang/go#51323) are then spoken to in HTTP/1.1. */
export function withHttp1(godebug: string | undefined): string {
  return [godebug, 'http2client=0'].filter(Boolean).join(',')
}
