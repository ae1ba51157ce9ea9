// What happened in one run, as data: the stages' reports, gathered by the run and handed to the
// renderers (the job summary, the outputs, the terminal).
import type { RestoreReport, SaveReport } from '../cache/service.ts'
import type { BuildRestoreReport } from '../cache/build.ts'
import type { VerifyReport } from '../cache/verify.ts'
import type { DirectFetch } from '../download/direct.ts'
import type { FetchReport } from '../fetch/stage.ts'
import type { ProbeResult } from '../probe/probe.ts'
import type { AttemptRecord } from '../download/retry.ts'
import type { SumdbProbe } from '../go/sumdb.ts'
import type { ToolchainReport } from '../toolchain/provide.ts'

export interface RunFacts {
  ok: boolean
  failure?: string
  /** The step's time, from its start to its report. */
  durationMs?: number
  probes: ProbeResult[]
  /** Why probes are missing or were overruled. */
  probeNote?: string
  /** The first candidate that served anything, `direct` when go cloned everything it fetched, else absent. */
  chosen?: string
  /** Modules go fetched direct in this step, and why. */
  direct?: DirectFetch[]
  /** Zips go read from file:// entries of GOPROXY in this step. */
  fromFiles?: number
  exported?: string
  /** Whether later steps reach the action's proxy first, or why not. */
  laterSteps?: string
  cacheKey?: string
  restore: RestoreReport
  /** The check of the module cache the step started from, when it held anything go.sum names. */
  verify?: VerifyReport
  save?: SaveReport
  /** GOCACHE's restore, when the build-cache input asked for it; the post step saves it. */
  buildCache?: BuildRestoreReport
  /** Whether the post step will save it, or why not. */
  buildCacheSave?: string
  attempts: AttemptRecord[]
  /** The local proxy and the speculative fetch behind it, when they ran. */
  fetch?: FetchReport
  /** Where the certificates the action trusted came from (go's sources on this runner). */
  trust?: string[]
  /** The toolchain go switches to for this module, when it does: where it came from. */
  toolchain?: ToolchainReport
  /** The routes to the checksum database, when go has one (GOSUMDB). */
  sumdb?: SumdbProbe
}

