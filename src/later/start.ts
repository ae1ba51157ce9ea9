// Starts the job's proxy (job-proxy.ts) detached from the step: its own process group, no
// inherited output, not waited for; the step reads one line (its URL) and lets it go.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { processEnv } from '../goenv.ts'
import type { SumLine } from '../gosum.ts'
import { withDeadline } from '../timing.ts'
import type { JobProxyConfig, JobProxyState } from './config.ts'
import { signalGroup } from './stop.ts'

// Bundled, this module is part of dist/index.js beside dist/job-proxy.js; from source, job-proxy.ts sits beside it.
const ENTRY = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './job-proxy.ts' : './job-proxy.js', import.meta.url))
const READY_WITHIN_MS = 10_000

export interface JobProxy extends JobProxyState {
  url: string
  /** The random path prefix in the URL: masked in the log. */
  secret: string
}

export async function startJobProxy(options: {
  candidates: { spec: string; latencyMs: number }[]
  sumLines: SumLine[]
  goauth: string
  idleMs: number
  stallTimeoutMs: number
  /** The script to run; by default the one beside this module (a benchmark runs dist's from source). */
  entry?: string
}): Promise<JobProxy> {
  const { entry = ENTRY, ...given } = options
  const workDir = mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'go-mod-download-later-'))
  const secret = randomBytes(18).toString('base64url')
  const config: JobProxyConfig = {
    ...given,
    secret,
    // The runner's process that started this step: when it is gone, so is the job.
    watchPid: process.ppid,
    workDir,
    statsFile: path.join(workDir, 'stats.json')
  }
  const configFile = path.join(workDir, 'config.json')
  writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 })
  const child = spawn(process.execPath, [entry, configFile], { cwd: workDir, detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: processEnv() })
  try {
    const line = await withDeadline(firstLine(child.stdout), READY_WITHIN_MS, 'The later-steps proxy start')
    const url = /^ready (\S+)$/.exec(line ?? '')?.[1]
    if (!url || child.pid === undefined) throw new Error(`the later-steps proxy did not start${line ? `: ${line}` : ''}`)
    return { url, secret, pid: child.pid, statsFile: config.statsFile }
  } catch (e) {
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL')
    throw e
  } finally {
    child.stdout.destroy()
    child.unref()
  }
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string | undefined> {
  for await (const line of createInterface({ input: stream })) return line
  return undefined
}
