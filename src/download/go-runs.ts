// go's runs for one step, each under the watchdog (attempt.ts), with the environment the step
// decided: the GOPROXY of the attempt, the checksum database through the local proxy when it
// relays one, and HTTP/1.1 once go met HTTP/2 stream errors (then for the later steps too).
import * as core from '@actions/core'
import os from 'node:os'
import { type AttemptOutcome, downloadEnv, runAttempt, withHttp1 } from '../attempt.ts'
import type { FetchStage } from '../fetch/stage.ts'
import { processEnv } from '../goenv.ts'

/** One `go mod download` through `goproxy`: of the main module's needs, or of `modules` (a toolchain). */
export type GoRun = (goproxy: string, fetch?: FetchStage, modules?: string[]) => Promise<AttemptOutcome>

export interface GoRuns {
  run: GoRun
  /** Exports what later steps' go must keep (GODEBUG for HTTP/1.1), once the step's runs are over. */
  exportForLaterSteps: () => void
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
  const run: GoRun = async (goproxy, fetch, modules) => {
    const outcome = await runAttempt({
      go: o.go,
      // Named modules (a toolchain) are fetched outside the project, by the installed go.
      cwd: modules ? os.tmpdir() : o.workingDirectory,
      env: {
        ...downloadEnv(processEnv(), goproxy, o.goflags, http1),
        ...(modules ? { GOTOOLCHAIN: 'local', GOWORK: 'off' } : {}),
        // go asks the local proxy for what go.sum lacks; it relays over the routes go would take.
        ...(fetch?.gosumdb ? { GOSUMDB: fetch.gosumdb } : {})
      },
      ...(modules ? { modules } : {}),
      modcache: o.modcache,
      timeoutMs: o.timeoutMs,
      stallTimeoutMs: o.stallTimeoutMs,
      onLine: line => core.info(line),
      ...(fetch ? { progress: fetch.progress, notCountingZipsFrom: fetch.url } : {})
    })
    if (!http1 && outcome.classification.reason === 'http2 stream error') {
      http1 = true
      core.info('go met HTTP/2 stream errors (golang/go#51323): its next attempts, and later steps, speak HTTP/1.1 (GODEBUG=http2client=0).')
    }
    return outcome
  }
  const exportForLaterSteps = () => {
    if (http1) core.exportVariable('GODEBUG', withHttp1(process.env.GODEBUG))
  }
  return { run, exportForLaterSteps }
}
