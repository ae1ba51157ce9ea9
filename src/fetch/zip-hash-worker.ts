// A zip-hashing worker thread (see zip-hashers.ts): one zip at a time, its h1: hash or why not.
import { parentPort } from 'node:worker_threads'
import { zipFileHash } from './zip-hash.ts'

export interface HashRequest {
  id: number
  file: string
}

export type HashAnswer = { id: number; hash: string } | { id: number; error: string }

parentPort?.on('message', async ({ id, file }: HashRequest) => {
  let answer: HashAnswer
  try {
    answer = { id, hash: await zipFileHash(file) }
  } catch (e) {
    answer = { id, error: (e as Error).message }
  }
  parentPort?.postMessage(answer)
})
