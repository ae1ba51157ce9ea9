// A zip-hashing worker thread (see zip-hashers.ts): one zip at a time, its h1: hash or why not.
import { parentPort } from 'node:worker_threads'
import { zipFileHash } from './zip-hash.ts'

/** A thread has one zip at a time, so an answer needs no id: it is its thread's current zip's. */
export type HashAnswer = { hash: string } | { error: string }

parentPort?.on('message', async (file: string) => {
  let answer: HashAnswer
  try {
    answer = { hash: await zipFileHash(file) }
  } catch (e) {
    answer = { error: (e as Error).message }
  }
  parentPort?.postMessage(answer)
})
