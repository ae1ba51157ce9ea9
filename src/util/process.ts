// A child in its own process group, so that it and everything it starts (git, ssh) can be
// killed together; and cleanup when the step itself is cancelled.
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { formatDuration } from './duration.ts'
import type { Readable } from 'node:stream'

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface GroupChild {
  exited: Promise<Exit>
  /** Kills the whole tree; resolves once the leader has exited. */
  kill: () => Promise<Exit>
}

/**
 * How long a short command may take. go env and go list answer in well under a second; one that
 * takes this long waits on something that may never come (a settings file that is a FIFO, a
 * mount that never answers), and the step would wait with it.
 */
export const OUTPUT_TIMEOUT_MS = 60_000

/**
 * A short command run to its end (go env, go list, a GOAUTH command): its exit code and output,
 * whatever the code, `input` written to its stdin. Past `timeoutMs` it is killed with everything
 * it started (its own process group: a child left holding its output would keep the wait going
 * and outlive the step), and that is an error that says so.
 */
export function output(
  command: string,
  args: string[],
  options: { cwd?: string; env: Record<string, string>; timeoutMs?: number; input?: string; maxBytes?: number }
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { timeoutMs = OUTPUT_TIMEOUT_MS, input = '', maxBytes = 64 * 1024 * 1024, ...spawnOptions } = options
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...spawnOptions, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true, detached: process.platform !== 'win32' })
    const exited = new Promise<void>(done => child.once('close', () => done()))
    const forget = child.pid === undefined ? () => undefined : killGroupOnCancel(child.pid, exited)
    let failure: Error | undefined
    const stop = (why: Error) => {
      failure ??= why
      if (child.pid !== undefined) killTree(child.pid)
    }
    const timer = setTimeout(() => stop(new Error(`${path.basename(command)} ${args[0] ?? ''} did not finish within ${formatDuration(timeoutMs)}, and was killed`)), timeoutMs)
    const collected = { stdout: [] as Buffer[], stderr: [] as Buffer[], bytes: 0 }
    for (const name of ['stdout', 'stderr'] as const) {
      child[name].on('data', (chunk: Buffer) => {
        collected[name].push(chunk)
        collected.bytes += chunk.length
        if (collected.bytes > maxBytes) stop(new Error(`${path.basename(command)} ${args[0] ?? ''} printed more than ${maxBytes} bytes`))
      })
    }
    // Not started at all (no such file): an error; a non-zero exit: an answer.
    child.once('error', e => (failure ??= e))
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      forget()
      if (failure) return reject(failure)
      if (code === null) return reject(new Error(`${path.basename(command)} ${args[0] ?? ''} was ended by ${signal}`))
      resolve({ code, stdout: Buffer.concat(collected.stdout).toString(), stderr: Buffer.concat(collected.stderr).toString() })
    })
    // A command may not read its input: that is no failure of ours.
    child.stdin.on('error', () => undefined)
    child.stdin.end(input)
  })
}

/** Process groups to take down if the step is cancelled, each with the leader's exit. */
const live = new Map<number, Promise<unknown>>()
/** What a cancelled step finishes before it exits (removing its temporary files). */
const cleanups = new Set<() => Promise<void>>()
/** How long a cancelled step waits for what it killed to be gone before it exits. */
const REAP_WAIT_MS = 2000

export function spawnGroup(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; onLine: (line: string) => void; inherit?: number[] }
): GroupChild {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    // POSIX: a new process group led by the child. Windows has no groups; taskkill /T walks the tree.
    detached: process.platform !== 'win32',
    // Descriptors the child inherits, as 3, 4 and on
    stdio: ['ignore', 'pipe', 'pipe', ...(options.inherit ?? [])],
    windowsHide: true
  })
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
  for (const stream of [child.stdout, child.stderr]) if (stream) eachLine(stream, options.onLine)
  const pid = child.pid
  if (pid === undefined) return { exited, kill: () => exited }
  const forget = killGroupOnCancel(pid, exited.catch(() => undefined))
  void exited.finally(forget).catch(() => undefined)
  return {
    exited,
    kill: async () => {
      killTree(pid)
      const exit = await exited
      // The leader is gone; what it started (git, ssh) got the same SIGKILL but may not have
      // died yet on a busy machine: the step goes on once none is left (bounded).
      await groupGone(pid, REAP_WAIT_MS)
      return exit
    }
  }
}

/** Resolves once no process of the group is left, or after `limitMs`. */
async function groupGone(pid: number, limitMs: number): Promise<void> {
  if (process.platform === 'win32') return
  const deadline = performance.now() + limitMs
  while (performance.now() < deadline) {
    try {
      process.kill(-pid, 0)
    } catch {
      return
    }
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/**
 * The stream's lines, split at \n alone (a \r\n loses its \r): a lone \r is no line break of
 * go's, and one inside a server's words that go quotes must not start a line that looks like go's
 * own (readline would split there).
 */
function eachLine(stream: Readable, onLine: (line: string) => void): void {
  let rest = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop() as string
    for (const line of lines) onLine(line.endsWith('\r') ? line.slice(0, -1) : line)
  })
  stream.on('end', () => {
    if (rest !== '') onLine(rest)
  })
}

/** Also kills this process group if the step is cancelled, until the returned function is called. */
export function killGroupOnCancel(pid: number, exited: Promise<unknown>): () => void {
  live.set(pid, exited)
  return () => live.delete(pid)
}

export function killTree(pid: number): void {
  if (process.platform === 'win32') {
    spawnSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true })
    return
  }
  signalGroup(pid, 'SIGKILL')
}

/** The process and anything it started: it leads its own group (POSIX). Gone already is fine. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}

/** Runs `cleanup` (within the same bound as the reaping of children) if the step is cancelled, until the returned function is called. */
export function cleanUpOnCancel(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup)
  return () => cleanups.delete(cleanup)
}

let handling = false
let cancelledWith: number | undefined

/**
 * The exit code a cancel decided (130 for SIGINT, 143 for SIGTERM), once one came: it wins over
 * the run's own, which may still end first (a save whose process was killed returns at once).
 */
export function cancelExitCode(): number | undefined {
  return cancelledWith
}

/**
 * A cancelled job sends SIGINT/SIGTERM: take every live go tree down and clean up, then exit;
 * `stopped`, if given, is called with the signal just before the exit (to say why it ended).
 */
export function killTreesOnSignals(stopped?: (signal: 'SIGINT' | 'SIGTERM') => void): void {
  if (handling) return
  handling = true
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cancelledWith = signal === 'SIGINT' ? 130 : 143
      const gone = [...live.values(), ...[...cleanups].map(cleanup => cleanup().catch(() => undefined))]
      for (const pid of live.keys()) killTree(pid)
      // Killed is not yet gone: the step exits once its children are (bounded), so none outlives it.
      const limit = new Promise(resolve => setTimeout(resolve, REAP_WAIT_MS))
      void Promise.race([Promise.all(gone), limit]).then(() => {
        stopped?.(signal)
        process.exit(cancelledWith)
      })
    })
  }
}
