// Module hashing off the main thread. The fetch's main thread moves bytes between sockets and
// files; inflating and hashing every file of every zip would take it from them (and, done with
// asynchronous zlib, costs a thread-pool round trip per 16 KiB). Each thread hashes one zip at a
// time, with the next one posted. The fetch writes out the zips it verifies, so go extracts none
// of them: it takes a thread per core, at most two (the proxy for later steps, whose go
// extracts, one). The check of a restored cache runs before go, with nothing else to share the
// cores with: one per core. Memory stays bounded whatever the downloads. If a worker cannot start or dies, its tasks are hashed on
// the main thread instead: slower, never wrong.
//
// Waiting tasks are taken in order of need: first those go waits for, then the largest. The
// fetch frees its requests once the bytes are on disk, so many zips can wait here; taking the
// largest first keeps one big module from being hashed alone, on one thread, at the end.
import { Worker } from 'node:worker_threads'
import { traceSpan, traceThreadCpu, tracing } from '../util/trace.ts'
import { type HashAnswer, type Hashed, type HashTask, hashOf } from './hash-worker.ts'
import { warnFallback } from './inflater.ts'
import type { ExtractTarget } from './zip-extract.ts'

// Bundled, this module is part of dist/index.js and the worker is dist/hash-worker.js; run from source, it sits beside it.
const WORKER = new URL(import.meta.url.endsWith('.ts') ? './hash-worker.ts' : './hash-worker.js', import.meta.url)

/** Which waiting task goes first: one `urgent` (go waits for it), then the larger. */
export interface Precedence {
  /** Bytes of the zip (on disk); larger goes first. */
  size?: number
  urgent?: boolean
}

interface Job {
  task: HashTask
  precedence: Required<Precedence>
  resolve: (hashed: Hashed) => void
  reject: (e: Error) => void
}

interface Slot {
  worker: Worker
  /** Posted to the thread, answered in this order. */
  jobs: Job[]
}

/**
 * Tasks posted to a thread at once: the one it hashes and the next. The thread answers on the
 * main thread, which dispatches the next task only when it gets to the answer; while it is busy
 * with the downloads, a thread with nothing posted would wait for it.
 */
const DEPTH = 2

const ABANDONED = 'hashing was abandoned'

export class Hashers {
  private readonly slots: Slot[] = []
  private readonly queue: Job[] = []
  private broken = false
  private abandoned = false
  private readonly threads: number
  /** When traced: when the first task was posted to a thread, and the last answered. */
  private firstPosted: number | undefined
  private lastAnswered = 0

  /** `threads`: how many worker threads at most, started as work arrives. */
  constructor(threads = 1) {
    this.threads = threads
  }

  /** Whether hashing runs off the main thread (false once a thread failed). */
  get threaded(): boolean {
    return !this.broken && this.slots.length > 0
  }

  /** The h1: hash of the zip at `file`; rejects when the zip is broken. */
  async zip(file: string, precedence: Precedence = {}): Promise<string> {
    return (await this.run({ zip: file }, precedence)).hash
  }

  /** The zip's h1: hash, its files written under `into.dir` on the way unless go's checks might refuse it (zip-hash.ts). */
  zipInto(file: string, into: ExtractTarget, precedence: Precedence = {}): Promise<Hashed> {
    return this.run({ zip: file, into }, precedence)
  }

  /** The waiting task for the zip at `file`, if any, goes before all but those already urgent. */
  hurry(file: string): void {
    const job = this.queue.find(j => 'zip' in j.task && j.task.zip === file)
    if (job) job.precedence.urgent = true
  }

  /** The h1: hash of the extracted module tree at `dir`, as `go mod verify` computes it; `prefix` is `<module>@<version>`. */
  async tree(dir: string, prefix: string): Promise<string> {
    return (await this.run({ tree: dir, prefix })).hash
  }

  private run(task: HashTask, precedence: Precedence = {}): Promise<Hashed> {
    if (this.abandoned) return Promise.reject(new Error(ABANDONED))
    if (this.broken) return hashOf(task)
    return new Promise((resolve, reject) => {
      this.queue.push({ task, precedence: { size: precedence.size ?? 0, urgent: precedence.urgent ?? false }, resolve, reject })
      this.dispatch()
    })
  }

  /** Ends the threads; tasks still waiting, or being hashed, are hashed on the main thread: no caller is left waiting. */
  async close(): Promise<void> {
    this.traceSpan()
    this.broken = true
    const slots = this.slots.splice(0)
    for (const slot of slots) this.takeBack(slot)
    this.drainToMainThread()
    await Promise.all(slots.map(slot => slot.worker.terminate()))
  }

  /** Ends the threads without hashing what is left (past a deadline, or when the step is cancelled): every task waiting or under way is rejected. */
  async abandon(): Promise<void> {
    this.traceSpan()
    this.abandoned = true
    this.broken = true
    const slots = this.slots.splice(0)
    const jobs = [...this.queue.splice(0), ...slots.flatMap(slot => slot.jobs.splice(0))]
    // Rejected only once the threads are gone: a rejected task's caller removes the tree its
    // thread was writing, and a thread still writing into it made that removal fail.
    await Promise.all(slots.map(slot => slot.worker.terminate()))
    for (const job of jobs) job.reject(new Error(ABANDONED))
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find(s => s.jobs.length === 0) ?? this.spawn() ?? this.slots.find(s => s.jobs.length < DEPTH)
      if (!slot) return
      const job = this.queue.splice(nextIndex(this.queue), 1)[0] as Job
      slot.jobs.push(job)
      // Held open only while it works: an idle pool never keeps the step alive.
      slot.worker.ref()
      if (tracing) this.firstPosted ??= performance.now()
      slot.worker.postMessage(job.task)
    }
  }

  private spawn(): Slot | undefined {
    if (this.slots.length >= this.threads) return undefined
    // A small heap: the thread holds one file at a time, and garbage it leaves is collected soon
    // rather than when it is large. A young generation of 2 MiB, not 4: 103 real zips hashed by
    // two threads peaked 5 MiB lower, no slower (0.49 s against 0.51 s); 1 MiB saved no more.
    const slot: Slot = {
      worker: new Worker(WORKER, { resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 48 }, workerData: { reportCpu: tracing } }),
      jobs: []
    }
    const thread = `hashing thread ${slot.worker.threadId}`
    slot.worker.on('message', (answer: HashAnswer) => {
      if (answer.fallback) warnFallback(answer.fallback)
      if (answer.cpu) {
        traceThreadCpu(thread, answer.cpu)
        this.lastAnswered = performance.now()
      }
      const job = slot.jobs.shift()
      // Taken back by close() meanwhile: the main thread answers it.
      if (!job) return
      if (slot.jobs.length === 0) slot.worker.unref()
      if ('hash' in answer) job.resolve(answer)
      else job.reject(new Error(answer.error))
      this.dispatch()
    })
    // A thread that cannot run, or ends: everything left, its own task included, is hashed here.
    const lost = () => {
      this.broken = true
      this.takeBack(slot)
      this.drainToMainThread()
    }
    slot.worker.on('error', lost)
    slot.worker.on('exit', lost)
    this.slots.push(slot)
    return slot
  }

  /** For the trace: from the first task posted to a thread to the last answer. */
  private traceSpan(): void {
    if (this.firstPosted !== undefined) traceSpan('hashing in threads', this.firstPosted, this.lastAnswered)
    this.firstPosted = undefined
  }

  private takeBack(slot: Slot): void {
    this.queue.unshift(...slot.jobs.splice(0))
  }

  /** Hashes what waits on the main thread, one task at a time, letting other work run between them: each is synchronous. */
  private drainToMainThread(): void {
    const jobs = this.queue.splice(0)
    const next = () => {
      const job = jobs.shift()
      if (job) hashOf(job.task).then(job.resolve, job.reject).finally(() => setImmediate(next))
    }
    next()
  }
}

/** The waiting task to take next: the first urgent one, else the first of the largest (the queue keeps arrival order). */
function nextIndex(queue: Job[]): number {
  let best = 0
  for (let i = 1; i < queue.length; i++) {
    const a = (queue[i] as Job).precedence
    const b = (queue[best] as Job).precedence
    if (a.urgent !== b.urgent ? a.urgent : a.size > b.size) best = i
  }
  return best
}
