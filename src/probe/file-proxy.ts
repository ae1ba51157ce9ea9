// A file:// entry of GOPROXY, judged as go would use it: go reads `<dir>/<module>/@v/…` from
// disk, and a file it lacks is a "not found" that moves it on to the next entry. Nothing is asked
// over HTTP; the entry keeps its place in the chain whatever the verdict.
import { statSync } from 'node:fs'
import { MAX_BYTES } from '../module/limits.ts'
import { readableError, readBelow } from '../util/confined.ts'
import type { ProbeRequest } from './probe.ts'

/** What the directory holds of the probe's file, in words for the probe table. */
export function judgeFileProxy(dir: string, request: ProbeRequest): string {
  const found = statSync(dir, { throwIfNoEntry: false })
  if (!found?.isDirectory()) return `no directory at ${dir}: go finds nothing there and moves on to the next entry`
  let body: Buffer | undefined
  try {
    body = readHeld(dir, found.dev, request.path.split('/').filter(Boolean).join('/'))
  } catch (e) {
    return `a directory whose ${request.describe} is not read here: ${readableError(e)}`
  }
  if (body === undefined) {
    const problem = request.judge(404, 'text/plain', Buffer.alloc(0))
    return problem === undefined ? `a directory in GOPROXY layout, read by go itself` : `a directory without ${request.describe}: go moves on to the next entry for what it lacks`
  }
  const problem = request.judge(200, '', body)
  return problem === undefined ? `a directory in GOPROXY layout with ${request.describe} as go.sum has it, read by go itself` : `a directory with ${problem}`
}

/**
 * The file `rel` of the directory, undefined where it is not. The directory is the user's and may
 * be anyone's: it is reached through real directories on its own file system only, and the file
 * opened only if regular, without blocking. A FIFO there, or a link into a mount that never
 * answers, would otherwise hold the step before go ever ran; one too large is not read whole.
 */
function readHeld(dir: string, device: number, rel: string): Buffer | undefined {
  try {
    return readBelow(dir, rel, MAX_BYTES.mod, device)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
}
