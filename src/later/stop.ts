// The post step's end of the job's proxy: stop it, read what it reported, leave nothing behind.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { signalGroup } from '../process.ts'
import type { JobProxyState, JobProxyStats } from './config.ts'

const GRACE_MS = 3000

export interface JobProxyEnd {
  /** Whether it was still running when the post step came to stop it. */
  wasRunning: boolean
  stats?: JobProxyStats
}

export async function stopJobProxy(state: JobProxyState): Promise<JobProxyEnd> {
  const wasRunning = alive(state.pid)
  if (wasRunning) {
    signalGroup(state.pid, 'SIGTERM')
    const deadline = Date.now() + GRACE_MS
    while (alive(state.pid) && Date.now() < deadline) await sleep(50)
    if (alive(state.pid)) signalGroup(state.pid, 'SIGKILL')
  }
  const stats = await fs.readFile(state.statsFile, 'utf8').then(text => JSON.parse(text) as JobProxyStats, () => undefined)
  await fs.rm(path.dirname(state.statsFile), { recursive: true, force: true })
  return { wasRunning, ...(stats ? { stats } : {}) }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
