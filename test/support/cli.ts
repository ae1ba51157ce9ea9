// The CLI as a user runs it: dist/cli.js (or an installed copy) in a child process of its own
// process group, its output kept, its exit awaited.
import { type ChildProcessByStdio, spawn } from 'node:child_process'
import path from 'node:path'
import type { Readable } from 'node:stream'

export const CLI = path.join(import.meta.dirname, '..', '..', 'dist', 'cli.js')

export interface CliRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliProcess {
  child: ChildProcessByStdio<null, Readable, Readable>
  stdout: () => string
  stderr: () => string
  /** Its first line on stdout, once written (undefined if it ended first). */
  firstLine: Promise<string | undefined>
  done: Promise<CliRun>
}

/** Starts `cli` with `args` in `cwd`: only PATH and HOME from this process, `env` on top. */
export function startCli(args: string[], cwd: string, env: Record<string, string>, cli = CLI): CliProcess {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a test sees whether anything of it is left.
    detached: true
  })
  let stdout = ''
  let stderr = ''
  let lineSeen: (line: string | undefined) => void = () => undefined
  const firstLine = new Promise<string | undefined>(resolve => (lineSeen = resolve))
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c
    if (stdout.includes('\n')) lineSeen(stdout.slice(0, stdout.indexOf('\n')))
  })
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      lineSeen(undefined)
      resolve({ code, signal, stdout, stderr })
    })
  })
  return { child, stdout: () => stdout, stderr: () => stderr, firstLine, done }
}

export function runCli(args: string[], cwd: string, env: Record<string, string>, cli = CLI): Promise<CliRun> {
  return startCli(args, cwd, env, cli).done
}

/** Whether any process of the group `pgid` is alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

/** Waits until `condition` holds; throws after `withinMs` (a bound that proves only "does not hang"). */
export async function waitFor(condition: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the condition never held')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
