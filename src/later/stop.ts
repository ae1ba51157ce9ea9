// The post step's end of the job's proxy: stop it, read what it reported, leave nothing behind.
// Its state is a claim, checked before anything is signalled or deleted: the folder must be one
// the step made in RUNNER_TEMP, holding the step's record of the process it launched there, and
// the PID must still be that process (same start time, executable, command line, working
// directory, leading its own group). Anything else is refused.
import { lstatSync, promises as fs, readFileSync, realpathSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { signalGroup } from '../util/process.ts'
import { type JobProxyStats, LAUNCH_RECORD, type LaunchRecord, STATS_FILE, WORK_DIR_PREFIX } from './config.ts'
import { type ProcessIdentity, processIdentity } from './identity.ts'

const GRACE_MS = 3000
const WORK_DIR_NAME = new RegExp(`^${WORK_DIR_PREFIX}[A-Za-z0-9]{6}$`)

export interface JobProxyEnd {
  /** Whether it was still running when the post step came to stop it. */
  wasRunning: boolean
  stats?: JobProxyStats
  /** Why the state was refused: then nothing was signalled or deleted. */
  refused?: string
  /** The system tells nothing of processes here (Windows): nothing was signalled; the runner ends the job's processes. */
  unchecked?: boolean
}

/** What the post step may act on: the step's folder and its record of the launch. */
interface Verified {
  dir: string
  record: LaunchRecord
}

/** The state, checked: its folder and launch record, or why it is refused. */
export function verifyState(state: unknown, runnerTemp = process.env.RUNNER_TEMP || os.tmpdir()): Verified | string {
  const claim = state as { pid?: unknown; statsFile?: unknown } | null
  if (typeof claim !== 'object' || claim === null || !Number.isSafeInteger(claim.pid) || typeof claim.statsFile !== 'string') return 'it is not a PID and a stats file'
  const { pid, statsFile } = claim as { pid: number; statsFile: string }
  const dir = path.dirname(statsFile)
  if (path.basename(statsFile) !== STATS_FILE || !WORK_DIR_NAME.test(path.basename(dir))) return `${statsFile} is not in a folder the step makes`
  let record: LaunchRecord
  try {
    // The folder itself, not a link to one, directly in RUNNER_TEMP.
    if (!lstatSync(dir).isDirectory() || path.dirname(realpathSync(dir)) !== realpathSync(runnerTemp)) return `${dir} is not a folder in RUNNER_TEMP`
    record = JSON.parse(readFileSync(path.join(dir, LAUNCH_RECORD), 'utf8')) as LaunchRecord
  } catch {
    return `${dir} holds no record of a launch by the step`
  }
  if (record.pid !== pid) return `${dir} records the launch of PID ${record.pid}, not ${pid}`
  return { dir: realpathSync(dir), record }
}

/** Whether the process with the recorded PID is still the one the step launched. */
export function isLaunched(now: ProcessIdentity | undefined, record: LaunchRecord, dir: string): boolean {
  return (
    now !== undefined &&
    now.startTime === record.startTime &&
    now.argv.join(' ') === record.argv.join(' ') &&
    now.group === record.pid &&
    (record.exe === undefined || now.exe === record.exe) &&
    (now.cwd === undefined || now.cwd === dir)
  )
}

/** Stops the process the state names, once the state holds up; `state` is what the post step read back. */
export async function stopJobProxy(state: unknown): Promise<JobProxyEnd> {
  const verified = verifyState(state)
  if (typeof verified === 'string') return { wasRunning: false, refused: verified }
  const { dir, record } = verified
  const readStats = () => fs.readFile(path.join(dir, STATS_FILE), 'utf8').then(text => JSON.parse(text) as JobProxyStats, () => undefined)
  if (record.startTime === '') {
    const stats = await readStats()
    return { wasRunning: false, unchecked: true, ...(stats ? { stats } : {}) }
  }
  const ours = () => isLaunched(processIdentity(record.pid), record, dir)
  const wasRunning = ours()
  if (wasRunning) {
    signalGroup(record.pid, 'SIGTERM')
    const deadline = Date.now() + GRACE_MS
    while (ours() && Date.now() < deadline) await sleep(50)
    if (ours()) signalGroup(record.pid, 'SIGKILL')
  }
  const stats = await readStats()
  await fs.rm(dir, { recursive: true, force: true })
  return { wasRunning, ...(stats ? { stats } : {}) }
}
