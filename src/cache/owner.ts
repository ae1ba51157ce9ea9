// Who holds a staging folder: a process, named by its PID and its start time, so that a later
// run can tell a job still using the folder from one that was killed, whose PID may since have
// been given to another process.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface Owner {
  pid: number
  /** When the process started, as the system tells it; absent where it cannot be read. */
  started?: string
}

export function thisProcess(): Owner {
  const started = startTime(process.pid)
  return started === undefined ? { pid: process.pid } : { pid: process.pid, started }
}

/** Whether the owner is still running: its PID is in use, by a process that started when it did. */
export function isAlive(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0)
  } catch (e) {
    // EPERM: there is such a process, another user's.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  return owner.started === undefined || startTime(owner.pid) === owner.started
}

/** Linux: field 22 of /proc/<pid>/stat (clock ticks after boot); elsewhere what `ps` says. */
function startTime(pid: number): string | undefined {
  try {
    // The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    // No /proc: macOS, the BSDs.
  }
  try {
    return execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined
  } catch {
    return undefined
  }
}
