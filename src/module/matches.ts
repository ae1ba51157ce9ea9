// Whether a file a candidate sent is what go.sum vouches for: a .mod or a .zip by its h1: hash,
// an .info by the version it names. A file go.sum does not name is go's to check.
import { readFileSync } from 'node:fs'
import { zipFileHash } from '../fetch/zip-hash.ts'
import { goModHash } from './gosum.ts'
import type { FileJob } from './vouched.ts'

/** Why the bytes at `file` are not what go.sum vouches for, or undefined when they are. */
export async function verify(job: FileJob, file: string, hashZip: (file: string) => string | Promise<string> = zipFileHash): Promise<string | undefined> {
  try {
    if (job.kind === 'other') return undefined
    if (job.kind === 'mod') return job.hash === undefined || goModHash(readFileSync(file)) === job.hash ? undefined : 'go.mod does not match go.sum'
    if (job.kind === 'zip') return job.hash === undefined || (await hashZip(file)) === job.hash ? undefined : 'zip does not match go.sum'
    const info = JSON.parse(readFileSync(file, 'utf8')) as { Version?: unknown }
    return info.Version === job.version ? undefined : `.info names ${String(info.Version)}, not ${job.version}`
  } catch (e) {
    return `${job.kind} unreadable: ${(e as Error).message}`
  }
}
