// Where one run's wall time goes, for the trace benchmark (scripts/bench-trace.ts): with
// GO_MOD_DOWNLOAD_TRACE=<file>, spans of the run's phases and each thread's CPU time are kept and
// written to the file as JSON when the process exits. Unset (every real run), each call costs
// one comparison and nothing is kept.
import { writeFileSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'

export const TRACE_ENV = 'GO_MOD_DOWNLOAD_TRACE'

/** Milliseconds since the process's time origin (performance.now()). */
export interface Span {
  name: string
  start: number
  end: number
}

export interface ThreadCpu {
  thread: string
  /** Microseconds. */
  user: number
  system: number
}

/** What the file holds. */
export interface Trace {
  /** The process's time origin, in ms since the epoch: spans are relative to it. */
  timeOrigin: number
  /** node's own milestones (performance.nodeTiming), relative to the time origin. */
  node: { nodeStart: number; v8Start: number; environment: number; bootstrapComplete: number }
  spans: Span[]
  /** The main thread, each hashing thread (as it last reported), and the whole process. */
  threads: ThreadCpu[]
  exitAt: number
}

const file = isMainThread ? process.env[TRACE_ENV] || undefined : undefined
// The trace is the step's own: what it starts does not inherit it (the job's proxy, ending
// later, would write over it); a hashing thread is asked for its CPU time instead (hashers.ts).
if (file) delete process.env[TRACE_ENV]
/** Whether this run is traced: callers that would do extra work for the trace ask first. */
export const tracing = file !== undefined
const spans: Span[] = []
const threads = new Map<string, ThreadCpu>()

/** `work`, its time kept as a span named `name` when tracing. */
export async function traced<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!tracing) return work()
  const start = performance.now()
  try {
    return await work()
  } finally {
    spans.push({ name, start, end: performance.now() })
  }
}

/** A span measured by its caller. */
export function traceSpan(name: string, start: number, end = performance.now()): void {
  if (tracing) spans.push({ name, start, end })
}

/** This thread's CPU time so far (the whole process's on a node without threadCpuUsage). */
export function threadCpu(): { user: number; system: number } {
  return process.threadCpuUsage?.() ?? process.cpuUsage()
}

/** A thread's CPU time so far, as it reported it: the latest report counts. */
export function traceThreadCpu(thread: string, cpu: { user: number; system: number }): void {
  if (tracing) threads.set(thread, { thread, ...cpu })
}

if (file) {
  process.once('exit', () => {
    const { nodeStart, v8Start, environment, bootstrapComplete } = performance.nodeTiming
    const trace: Trace = {
      timeOrigin: performance.timeOrigin,
      node: { nodeStart, v8Start, environment, bootstrapComplete },
      spans,
      threads: [{ thread: 'main', ...threadCpu() }, ...threads.values(), { thread: 'process', ...process.cpuUsage() }],
      exitAt: performance.now()
    }
    // A new file only: a path that names one already (or a link) is not written through.
    try {
      writeFileSync(file, JSON.stringify(trace), { flag: 'wx' })
    } catch (e) {
      process.stderr.write(`trace not written: ${(e as Error).message}\n`)
    }
  })
}
