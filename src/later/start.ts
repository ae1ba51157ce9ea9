// Starts the job's proxy (entries/job-proxy.ts) detached from the step: its own process group, no
// inherited output, not waited for. The process is launched early, so that node's start and
// the bundle's load overlap the download instead of following it; it waits for its
// configuration on stdin (credentials never touch the disk), answers one line (its URL) and
// the step lets it go. Abandoned, or if the step dies, its stdin closes unconfigured and it exits.
import { type ChildProcessByStdio, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { processEnv } from '../go/goenv.ts'
import { killGroupOnCancel, killTree } from '../util/process.ts'
import type { SumLine } from '../module/gosum.ts'
import { withDeadline } from '../util/timing.ts'
import { type JobProxyConfig, type JobProxyState, LAUNCH_RECORD, type LaunchRecord, STATS_FILE, WORK_DIR_PREFIX } from './config.ts'
import { processIdentity } from './identity.ts'

// Bundled, this module is part of dist/index.js beside dist/job-proxy.js; from source, it is src/entries/job-proxy.ts.
const ENTRY = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../entries/job-proxy.ts' : './job-proxy.js', import.meta.url))
const READY_WITHIN_MS = 10_000
const GONE_WITHIN_MS = 2000

export interface JobProxy extends JobProxyState {
  url: string
  /** The random path prefix in the URL: masked in the log. */
  secret: string
}

export interface JobProxyOptions {
  candidates: { spec: string; latencyMs: number }[]
  sumLines: SumLine[]
  goauth: string
  idleMs: number
  stallTimeoutMs: number
  timeoutMs: number
  sumdb?: { name: string; routes: string[] }
}

/** A launched, not yet configured job proxy: start() hands it its configuration, abandon() ends it. */
export interface JobProxyLaunch {
  start(options: JobProxyOptions): Promise<JobProxy>
  /** Ends the process unless start() succeeded, and waits (briefly) until it is gone; safe to call more than once. */
  abandon(): Promise<void>
}

/**
 * Launches the process now; `entry` is the script to run (a benchmark runs dist's from source).
 * Its folder is made first, in RUNNER_TEMP, and it runs there: the post step finds the folder
 * from its state, and the folder ties the PID to this launch (its working directory, and the
 * record of what the system said of it).
 */
export function launchJobProxy(entry = ENTRY): JobProxyLaunch {
  const workDir = mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), WORK_DIR_PREFIX))
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(process.execPath, [entry], {
    detached: true,
    cwd: workDir,
    stdio: ['pipe', 'pipe', 'ignore'],
    env: processEnv()
  })
  // spawn returns once the child has exec'd: the system now tells its executable and start time
  // (where it tells nothing, Windows, the record says so and the post step signals nothing).
  if (child.pid !== undefined) {
    const identity = processIdentity(child.pid)
    const record: LaunchRecord = { pid: child.pid, startTime: identity?.startTime ?? '', argv: identity?.argv ?? [], ...(identity?.exe ? { exe: identity.exe } : {}) }
    writeFileSync(path.join(workDir, LAUNCH_RECORD), JSON.stringify(record))
  }
  // A process that died before it was configured fails start() through its output's end, not here.
  child.stdin.on('error', () => undefined)
  child.on('error', () => undefined)
  // Cancelled before it was configured, the step takes it down with go's trees.
  const exited = new Promise(resolve => child.once('exit', resolve))
  const forget = child.pid === undefined ? () => undefined : killGroupOnCancel(child.pid, exited)
  let started = false
  const letGo = () => {
    forget()
    child.stdout.destroy()
    child.stdin.destroy()
    child.unref()
  }
  const removeDir = () => rmSync(workDir, { recursive: true, force: true })
  return {
    async start(options) {
      const secret = randomBytes(18).toString('base64url')
      const config: JobProxyConfig = {
        ...options,
        secret,
        // The runner's process that started this step: when it is gone, so is the job.
        watchPid: process.ppid,
        workDir,
        statsFile: path.join(workDir, STATS_FILE)
      }
      try {
        const line = firstLine(child.stdout)
        child.stdin.end(JSON.stringify(config))
        const ready = await withDeadline(line, READY_WITHIN_MS, 'The later-steps proxy start')
        const url = /^ready (\S+)$/.exec(ready ?? '')?.[1]
        if (!url || child.pid === undefined) throw new Error(`the later-steps proxy did not start${ready ? `: ${ready}` : ''}`)
        started = true
        letGo()
        return { url, secret, pid: child.pid, statsFile: config.statsFile }
      } catch (e) {
        await this.abandon()
        throw e
      }
    },
    async abandon() {
      if (started) return
      const running = child.pid !== undefined && child.exitCode === null && child.signalCode === null
      if (running) killTree(child.pid as number)
      letGo()
      removeDir()
      // Killed is not yet gone: the step ends after it, so that nothing of it outlives the step.
      if (running) await Promise.race([exited, sleep(GONE_WITHIN_MS, undefined, { ref: false })])
    }
  }
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string | undefined> {
  for await (const line of createInterface({ input: stream })) return line
  return undefined
}
