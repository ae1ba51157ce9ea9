// What the benchmarks measure of one run, and how runs are set side by side: the same
// contenders alternating within each round, figures the median of the rounds.
import { type ChildProcess, execFile } from 'node:child_process'
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { median } from '../src/util/timing.ts'
import { runBundled, runPostBundled } from '../test/support/action.ts'
import { goBinary } from '../test/support/go.ts'
import { makeUniverse, type Universe } from '../test/support/universe.ts'

export interface Sample {
  seconds: number
  /** Bytes that crossed the link(s) during the run. */
  bytes: number
  /** Peak resident memory of the measured process (go's for plain go, the step's node for the action). */
  peakMiB: number
  /** CPU time (user and system) of the measured process and everything it started and waited for; NaN where /proc is missing. */
  cpuSeconds: number
}

export type Contender = () => Promise<Sample>

/**
 * The benchmarks' universe under `root`: `modules` generated modules of realistic sizes, and
 * go.sum lines of `stale` more that go no longer needs (their files are on the proxies too).
 */
export async function benchUniverse(root: string, modules: number, stale: number): Promise<Universe> {
  const universe = await makeUniverse(root, { count: modules, sourceBytes: 'spread' })
  const old = await makeUniverse(path.join(root, 'stale'), { count: stale, sourceBytes: 'spread', pathPrefix: 'example.com/stale' })
  cpSync(old.proxyDir, universe.proxyDir, { recursive: true })
  const goSum = path.join(universe.sampleDir, 'go.sum')
  writeFileSync(goSum, readFileSync(goSum, 'utf8') + readFileSync(path.join(old.sampleDir, 'go.sum'), 'utf8'))
  return universe
}

/** Issue 26's heavy universe: modules of much source each, to set the download against go's offline verify and extract. */
export const HEAVY = { count: 150, sourceBytes: 700 << 10 }

export function heavyUniverse(root: string): Promise<Universe> {
  return makeUniverse(root, HEAVY)
}

/**
 * Moves `dir` out of the way, under `root`, instead of deleting it: the benchmark's directories
 * are deleted only when it ends. ext4 does not reuse an inode for a minute or more after it was
 * freed, and finds one by scanning past every recently freed one: after deleting a module cache
 * (25,000 files on a real project) the next run's file creation took most of its time in that
 * scan (perf: ext4's recently_deleted), and go's extraction ran at half speed. A new runner has
 * no such history.
 */
export function setAside(dir: string, root: string): void {
  try {
    renameSync(dir, path.join(mkdtempSync(path.join(root, 'set-aside-')), 'dir'))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
}

/** Files created to time a creation, spread over directories as a module cache's are. They stay until the benchmark's scratch directory goes: deleting them would be what the wait is for. */
const PROBE_FILES = 1000
const PROBE_DIRS = 10
/** What a creation costs on this machine's root file system at rest (about 20 µs) with room to spare; slowed, it costs 200 to 700 µs. */
const SETTLED_US = 60
/** Readings in a row, this far apart, that must find the disk at rest: the slowdown comes and goes as new files land in one block group or another. */
const QUIET_READINGS = 2
const READING_GAP_MS = 2000
/** The longest wait: ext4 keeps a freed inode "recent" for 60 s, or 300 s while its table block is dirty. */
const SETTLE_LIMIT_MS = 300_000
let settledBarUs = SETTLED_US
let probes = 0
/** The time runs waited for the disk, for the benchmarks' text. */
const settling = { waitedMs: 0, runs: 0 }

/** What creating one empty file costs now, in µs: the mean of PROBE_FILES, in new directories under the temporary one. */
function createCostUs(): number {
  const dir = path.join(os.tmpdir(), 'disk-probe', String(probes++))
  for (let d = 0; d < PROBE_DIRS; d++) mkdirSync(path.join(dir, String(d)), { recursive: true })
  const started = performance.now()
  for (let i = 0; i < PROBE_FILES; i++) closeSync(openSync(path.join(dir, String(i % PROBE_DIRS), String(i)), 'wx'))
  return ((performance.now() - started) * 1000) / PROBE_FILES
}

/**
 * Waits, before a run, until creating files is cheap again. Deleting many files (a module
 * cache, the benchmark before) makes an ext4 file system without a journal, such as this
 * machine's root, slow to create files for minutes: each new inode is found by scanning past
 * every recently freed one (perf: ext4's recently_deleted). A run that met that state could take
 * three times as long, which decided medians. A disk that is simply slower waits once, for the
 * limit, and its own cost is the bar from then on.
 */
export async function settledDisk(): Promise<void> {
  const started = performance.now()
  for (let quiet = 0, said = false; ; ) {
    const cost = createCostUs()
    if (cost <= settledBarUs) {
      if (++quiet >= QUIET_READINGS) break
      await sleep(READING_GAP_MS)
      continue
    }
    quiet = 0
    if (performance.now() - started > SETTLE_LIMIT_MS) {
      settledBarUs = 2 * cost
      break
    }
    if (!said) process.stderr.write(`creating a file costs ${cost.toFixed(0)} µs (at rest: ${settledBarUs.toFixed(0)} µs or less): waiting for the disk to settle\n`)
    said = true
    await sleep(5000)
  }
  settling.waitedMs += performance.now() - started
  settling.runs++
}

/** The benchmarks' sentence on those waits. */
export function settlingNote(): string {
  return `Before each run the benchmark waited until creating a file cost at most ${settledBarUs.toFixed(0)} µs, ${QUIET_READINGS} readings in a row: ${(settling.waitedMs / 1000).toFixed(0)} s in all, over ${settling.runs} runs.`
}

/**
 * CPU seconds used so far by this process's children that have ended, and their own children
 * (cutime and cstime in /proc/self/stat: a child's time is added when it is waited for, and
 * includes what it waited for). The difference across one run is that run's CPU, go's
 * processes included. NaN without /proc.
 */
export function childrenCpuSeconds(): number {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ')
    // cutime and cstime are fields 16 and 17 of stat, 14 and 15 after the name; in clock ticks, 100 a second on Linux.
    return (Number(fields[13]) + Number(fields[14])) / 100
  } catch {
    return NaN
  }
}

/** Polls a process's peak resident set (VmHWM, which only grows) until it exits; 0 where /proc is missing. */
export function watchPeak(pid: number | undefined): () => number {
  let peak = 0
  const read = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m) peak = Math.max(peak, Number(m[1]) / 1024)
    } catch {
      // Gone: the last reading stands.
    }
  }
  read()
  const timer = setInterval(read, 25)
  return () => {
    clearInterval(timer)
    return peak
  }
}

/** Plain `go mod download` in `dir`, its peak memory watched; `env` is asked anew for each run (a fresh module cache). */
export function plainGo(dir: string, env: () => Record<string, string>, bytes: () => number, limitMs = 600_000): Contender {
  return () => {
    const runEnv = { ...process.env, ...env() }
    const started = performance.now()
    const before = bytes()
    const cpuBefore = childrenCpuSeconds()
    return new Promise((resolve, reject) => {
      const child = execFile(goBinary(), ['mod', 'download'], { cwd: dir, timeout: limitMs, killSignal: 'SIGKILL', env: runEnv }, error => {
        const peakMiB = stop()
        if (error) reject(new Error(`plain go failed: ${error.message}`))
        else resolve({ seconds: (performance.now() - started) / 1000, bytes: bytes() - before, peakMiB, cpuSeconds: childrenCpuSeconds() - cpuBefore })
      })
      const stop = watchPeak(child.pid)
    })
  }
}

/** The bundled action, as a step runs it, its node's peak memory watched. */
export function bundledAction(workspace: string, inputs: Record<string, string>, env: () => Record<string, string>, bytes: (summary: string) => number): Contender {
  return async () => {
    const started = performance.now()
    const cpuBefore = childrenCpuSeconds()
    let stop: (() => number) | undefined
    const run = await runBundled(process.execPath, inputs, workspace, env(), (_log, step: ChildProcess) => {
      stop ??= watchPeak(step.pid)
    })
    const peakMiB = stop?.() ?? 0
    const seconds = (performance.now() - started) / 1000
    const cpuSeconds = childrenCpuSeconds() - cpuBefore
    if (run.exitCode !== 0) throw new Error(`the action failed:\n${run.log}`)
    // The job's end, untimed: the post step stops the proxy the step left for later steps.
    await runPostBundled(run, workspace, {})
    return { seconds, bytes: bytes(run.summary), peakMiB, cpuSeconds }
  }
}

/** Runs the contenders in turn, `rounds` times, alternating who goes first; the median of each measure. `samples` keeps every run. */
export async function sideBySide(contenders: Contender[], rounds: number, samples: Sample[][] = contenders.map(() => [])): Promise<Sample[]> {
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, i) => i)
    if (round % 2) order.reverse()
    for (const i of order) {
      await settledDisk()
      samples[i]?.push(await (contenders[i] as Contender)())
    }
  }
  const mid = (values: number[]) => median(values) as number
  return samples.map(list => ({
    seconds: mid(list.map(s => s.seconds)),
    bytes: mid(list.map(s => s.bytes)),
    peakMiB: mid(list.map(s => s.peakMiB)),
    cpuSeconds: mid(list.map(s => s.cpuSeconds))
  }))
}

export const mib = (bytes: number) => `${(bytes / (1 << 20)).toFixed(1)} MiB`
export const secs = (x: number) => `${x.toFixed(2)} s`
