// A file:// entry of GOPROXY, judged as go would use it: go reads `<dir>/<module>/@v/…` from
// disk, and a file it lacks is a "not found" that moves it on to the next entry. Nothing is asked
// over HTTP; the entry keeps its place in the chain whatever the verdict.
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import type { ProbeRequest } from './probe.ts'

/** What the directory holds of the probe's file, in words for the probe table. */
export function judgeFileProxy(dir: string, request: ProbeRequest): string {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return `no directory at ${dir}: go finds nothing there and moves on to the next entry`
  let body: Buffer
  try {
    body = readFileSync(path.join(dir, ...request.path.split('/').filter(Boolean)))
  } catch {
    const problem = request.judge(404, 'text/plain', Buffer.alloc(0))
    return problem === undefined ? `a directory in GOPROXY layout, read by go itself` : `a directory without ${request.describe}: go moves on to the next entry for what it lacks`
  }
  const problem = request.judge(200, '', body)
  return problem === undefined ? `a directory in GOPROXY layout with ${request.describe} as go.sum has it, read by go itself` : `a directory with ${problem}`
}
