// Who a process is, as the system tells it: what the step records when it launches the job's
// proxy, and what the post step compares before it signals a PID it was handed. A PID alone names
// whatever process has it now; its start time, executable and command line name one process.
import { execFileSync } from 'node:child_process'
import { readFileSync, readlinkSync } from 'node:fs'

export interface ProcessIdentity {
  /** When it started, in the system's own terms (clock ticks after boot on Linux): with the PID, one process ever. */
  startTime: string
  /** Its process group: the job's proxy leads its own. */
  group: number
  /** Its command line. */
  argv: string[]
  /** Its executable and working directory, where the system tells them (Linux). */
  exe?: string
  cwd?: string
}

/** The process with this PID now, or undefined when there is none (or the system will not say). */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 1) return undefined
  return process.platform === 'linux' ? fromProc(pid) : process.platform === 'win32' ? undefined : fromPs(pid)
}

/** Linux: /proc/<pid>. stat's fields after the command name (which may hold anything): state, ppid, pgrp, …, starttime (the 22nd). */
export function fromProc(pid: number): ProcessIdentity | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    if (argv.at(-1) === '') argv.pop()
    return { startTime: fields[19] as string, group: Number(fields[2]), argv, exe: readlinkSync(`/proc/${pid}/exe`), cwd: readlinkSync(`/proc/${pid}/cwd`) }
  } catch {
    return undefined
  }
}

/** Elsewhere (macOS, the BSDs): ps, whose command line is the arguments joined by spaces. */
export function fromPs(pid: number): ProcessIdentity | undefined {
  try {
    const [startTime, rest] = ['lstart', 'pgid,args'].map(columns =>
      execFileSync('ps', ['-o', `${columns.split(',').map(c => `${c}=`).join(',')}`, '-p', String(pid)], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    )
    const [group, ...argv] = (rest as string).split(/\s+/)
    if (!startTime || !group) return undefined
    return { startTime, group: Number(group), argv }
  } catch {
    return undefined
  }
}
