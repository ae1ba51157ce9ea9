// What the main step hands the job's proxy process, and what that process reports back.
import type { CandidateStats } from '../fetch/stats.ts'
import type { SumLine } from '../module/gosum.ts'

export interface JobProxyConfig {
  /** The exported chain's URL candidates, in order, credentials included, with their probe latency when probed. */
  candidates: { spec: string; latencyMs: number }[]
  sumLines: SumLine[]
  /** go's GOAUTH, so the process's own requests carry the credentials go's would. */
  goauth: string
  /** The path prefix every request must start with. */
  secret: string
  /** The process ends after this long without a request. */
  idleMs: number
  /** The process ends when this process (the runner's, which started the step) is gone. */
  watchPid: number
  stallTimeoutMs: number
  /** The longest one of go's requests may wait for its file (the `timeout` setting): no candidate holds go longer. */
  timeoutMs: number
  /** The checksum database go may ask it for (GOSUMDB without a URL), and the routes to it, best first, credentials included. */
  sumdb?: { name: string; routes: string[] }
  /** Where the process keeps verified files (never go's module cache) and writes its report. */
  workDir: string
  statsFile: string
}

export interface JobProxyStats {
  requests: number
  served: number
  refused: number
  /** Files fetched and verified (zips among them), and bytes received from candidates. */
  files: number
  zips: number
  bytes: number
  hedges: number
  retries: number
  rejected: number
  candidates: { display: string; stats: CandidateStats }[]
  /** Why it stopped, once it did. */
  stopped?: string
}

/** The state the main step leaves for the post step. Read back, it is a claim to check, never a fact. */
export interface JobProxyState {
  pid: number
  statsFile: string
}

export const LATER_STEPS_STATE = 'later-steps'

/** The job proxy's folder: made by the step in RUNNER_TEMP, named with this prefix and six random characters. */
export const WORK_DIR_PREFIX = 'go-mod-download-later-'
export const STATS_FILE = 'stats.json'

/**
 * What the step recorded in the folder, in a file of this name, when it launched the process:
 * the post step signals that PID only if the system still says the same of it.
 */
export const LAUNCH_RECORD = 'launched.json'

export interface LaunchRecord {
  pid: number
  startTime: string
  /** The command line it was started with (node, then the entry script) and the executable it runs. */
  argv: string[]
  exe?: string
}
