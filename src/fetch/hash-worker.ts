// A hashing worker thread (see hashers.ts): one zip or extracted tree at a time, its h1: hash or why not.
import { parentPort } from 'node:worker_threads'
import { treeHash } from './tree-hash.ts'
import { zipFileHash } from './zip-hash.ts'

/** A zip on disk, or an extracted module tree whose files are named `<prefix>/<path>`. */
export type HashTask = { zip: string } | { tree: string; prefix: string }

/** A thread has one task at a time, so an answer needs no id: it is its thread's current task's. */
export type HashAnswer = { hash: string } | { error: string }

/** The task's hash, on whichever thread calls it. */
export async function hashOf(task: HashTask): Promise<string> {
  return 'zip' in task ? zipFileHash(task.zip) : treeHash(task.tree, task.prefix)
}

parentPort?.on('message', async (task: HashTask) => {
  let answer: HashAnswer
  try {
    answer = { hash: await hashOf(task) }
  } catch (e) {
    answer = { error: (e as Error).message }
  }
  parentPort?.postMessage(answer)
})
