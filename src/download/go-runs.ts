// go's runs for one step, each under the watchdog (attempt.ts), with the environment the step
// decided: the GOPROXY of the attempt, the checksum database through the local proxy when it
// relays one, and HTTP/1.1 once go met HTTP/2 stream errors (then for the later steps too).
// What go's output says of its fetches is kept for the step (go-output.ts).
import { port } from '../engine/port.ts'
import os from 'node:os'
import { type AttemptOutcome, downloadEnv, runAttempt, withHttp1 } from './attempt.ts'
import type { FetchStage } from '../fetch/stage.ts'
import { processEnv } from '../go/goenv.ts'
import { GoOutput, type GoRequests } from './go-output.ts'

/** One `go mod download` through `goproxy`: of the main module's needs, or of `modules` (a toolchain). */
export type GoRun = (goproxy: string, fetch?: FetchStage, modules?: string[]) => Promise<AttemptOutcome>

const PROGRESS_EVERY_MS = 250

export interface GoRuns {
  run: GoRun
  /** What later steps' go must keep (GODEBUG for HTTP/1.1), once the step's runs are over: variables for the front door to export. */
  forLaterSteps: () => Record<string, string>
  /** How proxies answered go's requests, over every run so far. */
  requests: GoRequests
}

export function goRuns(o: {
  go: string
  workingDirectory: string
  goflags: string
  modcache: string
  timeoutMs: number
  stallTimeoutMs: number
}): GoRuns {
  let http1 = false
  const requests: GoRequests = { answered: [], unanswered: [] }
  const run: GoRun = async (goproxy, fetch, modules) => {
    const output = new GoOutput()
    // A live line where the front door shows one: files go got, bytes the fetch received, from whom go asks first.
    const first = goproxy.split(/[,|]/).find(p => !fetch || p !== fetch.url)
    const progress = setInterval(() => port.progress({ files: output.requests.answered.length, planned: 0, bytes: fetch?.progress() ?? 0, ...(first ? { candidate: first } : {}) }), PROGRESS_EVERY_MS)
    progress.unref()
    const outcome = await runAttempt({
      go: o.go,
      // Named modules (a toolchain) are fetched outside the project, by the installed go.
      cwd: modules ? os.tmpdir() : o.workingDirectory,
      env: {
        ...downloadEnv(processEnv(), goproxy, o.goflags, http1),
        ...(modules ? { GOTOOLCHAIN: 'local', GOWORK: 'off' } : {}),
        // GONOPROXY modules are fetched direct even with GOPROXY=off: a check of the module cache must not clone them.
        ...(goproxy === 'off' ? { GONOPROXY: 'none' } : {}),
        // go asks the local proxy for what go.sum lacks; it relays over the routes go would take.
        ...(fetch?.gosumdb ? { GOSUMDB: fetch.gosumdb } : {})
      },
      ...(modules ? { modules } : {}),
      modcache: o.modcache,
      timeoutMs: o.timeoutMs,
      stallTimeoutMs: o.stallTimeoutMs,
      onLine: line => {
        // go's lines quote servers and git: shown, never obeyed as workflow commands.
        port.echo(line)
        output.line(line)
      },
      // A clone the watchdog ended is named as a request would be.
      alsoWaitingOn: () => output.waitingOn(),
      ...(fetch ? { progress: fetch.progress, notCountingZipsFrom: fetch.url } : {})
    }).finally(() => clearInterval(progress))
    requests.answered.push(...output.requests.answered)
    requests.unanswered.push(...output.requests.unanswered)
    if (!http1 && outcome.classification.reason === 'http2 stream error') {
      http1 = true
      port.info('go met HTTP/2 stream errors (golang/go#51323): its next attempts, and later steps, speak HTTP/1.1 (GODEBUG=http2client=0).')
    }
    return outcome
  }
  const forLaterSteps = (): Record<string, string> => (http1 ? { GODEBUG: withHttp1(process.env.GODEBUG) } : {})
  return { run, forLaterSteps, requests }
}
