// Starts the job's proxy (job-proxy.ts) detached from the step: its own process group, no
// inherited output, not waited for. The process is launched early, so that node's start and
// the bundle's load overlap the download instead of following it; it waits for its
// configuration on stdin (credentials never touch the disk), answers one line (its URL) and
// the step lets it go. Abandoned, or if the step dies, its stdin closes unconfigured and it exits.
import { type ChildProcessByStdio, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { processEnv } from '../goenv.ts'
import { killGroupOnCancel, killTree } from '../process.ts'
import type { SumLine } from '../module/gosum.ts'
import { withDeadline } from '../timing.ts'
import type { JobProxyConfig, JobProxyState } from './config.ts'

// Bundled, this module is part of dist/index.js beside dist/job-proxy.js; from source, job-proxy.ts sits beside it.
const ENTRY = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './job-proxy.ts' : './job-proxy.js', import.meta.url))
const READY_WITHIN_MS = 10_000

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
  sumdb?: { name: string; routes: string[] }
}

/** A launched, not yet configured job proxy: start() hands it its configuration, abandon() ends it. */
export interface JobProxyLaunch {
  start(options: JobProxyOptions): Promise<JobProxy>
  /** Ends the process unless start() succeeded; safe to call more than once. */
  abandon(): void
}

/** Launches the process now; `entry` is the script to run (a benchmark runs dist's from source). */
export function launchJobProxy(entry = ENTRY): JobProxyLaunch {
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(process.execPath, [entry], {
    detached: true,
    cwd: os.tmpdir(),
    stdio: ['pipe', 'pipe', 'ignore'],
    env: processEnv()
  })
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
  return {
    async start(options) {
      const workDir = mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'go-mod-download-later-'))
      const secret = randomBytes(18).toString('base64url')
      const config: JobProxyConfig = {
        ...options,
        secret,
        // The runner's process that started this step: when it is gone, so is the job.
        watchPid: process.ppid,
        workDir,
        statsFile: path.join(workDir, 'stats.json')
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
        this.abandon()
        rmSync(workDir, { recursive: true, force: true })
        throw e
      }
    },
    abandon() {
      if (started) return
      if (child.pid !== undefined && child.exitCode === null) killTree(child.pid)
      letGo()
    }
  }
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string | undefined> {
  for await (const line of createInterface({ input: stream })) return line
  return undefined
}
