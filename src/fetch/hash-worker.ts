// A hashing worker thread (see hashers.ts): one zip or extracted tree at a time, its h1: hash or why not.
import { parentPort, workerData } from 'node:worker_threads'
import { threadCpu } from '../util/trace.ts'
import { tellFallbackTo } from './inflater.ts'
import { treeHash } from './tree-hash.ts'
import type { ExtractTarget } from './zip-extract.ts'
import { hashZip } from './zip-hash.ts'

/** A zip on disk (its files written under `into` on the way, when given), or an extracted module tree whose files are named `<prefix>/<path>`. */
export type HashTask = { zip: string; into?: ExtractTarget } | { tree: string; prefix: string }

/** What a task came to: its hash (and, for a zip written out, the directories made), or why not. */
export type Hashed = { hash: string; dirs?: string[] }

/**
 * A thread answers its tasks in the order they were posted, so an answer needs no id: it is the
 * oldest unanswered task's. `fallback`: why this thread's inflater failed its self-check, on the
 * first answer after it did (only the main thread can warn). `cpu`: the thread's CPU time so
 * far, when the run is traced (trace.ts).
 */
export type HashAnswer = (Hashed | { error: string }) & { fallback?: string; cpu?: { user: number; system: number } }

/** The task's hash, on whichever thread calls it. */
export async function hashOf(task: HashTask): Promise<Hashed> {
  return 'zip' in task ? hashZip(task.zip, task.into) : { hash: treeHash(task.tree, task.prefix) }
}

let fallback: string | undefined
const reportCpu = (workerData as { reportCpu?: boolean } | null)?.reportCpu === true
// Each task after the one before, whatever hashOf awaits.
let previous = Promise.resolve()
if (parentPort) tellFallbackTo(why => (fallback = why))
parentPort?.on('message', (task: HashTask) => {
  previous = previous.then(async () => {
    let answer: HashAnswer
    try {
      answer = await hashOf(task)
    } catch (e) {
      answer = { error: (e as Error).message }
    }
    if (fallback) answer.fallback = fallback
    fallback = undefined
    if (reportCpu) answer.cpu = threadCpu()
    parentPort?.postMessage(answer)
  })
})
