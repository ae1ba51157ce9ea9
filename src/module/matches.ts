// Whether a file a candidate sent is what go.sum vouches for: a .mod or a .zip by its h1: hash,
// an .info by the version it names (and, in a cache entry, by holding only what go writes). A
// file go.sum does not name is go's to check.
import { zipFileHash } from '../fetch/zip-hash.ts'
import { readableError, readRegular } from '../util/confined.ts'
import { goModHash } from './gosum.ts'
import type { FileJob } from './vouched.ts'

/**
 * Why the bytes at `file` are not what go.sum vouches for, or undefined when they are. `file` is
 * a new file in a shared module cache, named by its path: it is read as a regular file no larger
 * than the job allows, never through a link, never waiting on a FIFO put in its place.
 */
export async function verify(job: FileJob, file: string, hashZip: (file: string) => string | Promise<string> = zipFileHash): Promise<string | undefined> {
  try {
    if (job.kind === 'other') return undefined
    if (job.kind === 'mod') return job.hash === undefined || goModHash(readRegular(file, job.maxBytes)) === job.hash ? undefined : 'go.mod does not match go.sum'
    if (job.kind === 'zip') return job.hash === undefined || (await hashZip(file)) === job.hash ? undefined : 'zip does not match go.sum'
    const info = JSON.parse(readRegular(file, job.maxBytes).toString('utf8')) as { Version?: unknown }
    return info.Version === job.version ? undefined : `.info names ${String(info.Version)}, not ${job.version}`
  } catch (e) {
    return `${job.kind} unreadable: ${readableError(e)}`
  }
}

/** The fields of go's .info (modfetch.RevInfo), and of its Origin (codehost.Origin), all strings. */
const INFO_FIELDS = new Set(['Version', 'Time', 'Origin'])
const ORIGIN_FIELDS = new Set(['VCS', 'URL', 'Subdir', 'Hash', 'TagPrefix', 'TagSum', 'Ref', 'RepoSum'])

/**
 * Why `text` is not an .info go would write for `version`; undefined when it is. Stricter than
 * the fetch's check of a candidate's answer (its Version alone, since a proxy may add fields go
 * ignores): a cache entry's .info that holds anything else may be another file's contents,
 * linked or copied in, and is neither saved nor restored.
 */
export function infoProblem(text: string, version: string): string | undefined {
  let info: unknown
  try {
    info = JSON.parse(text)
  } catch {
    return '.info is not JSON'
  }
  const fieldsOf = (value: unknown) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.entries(value) : undefined)
  const fields = fieldsOf(info)
  if (!fields) return '.info is not a JSON object'
  const { Version, Time, Origin } = info as Record<string, unknown>
  if (Version !== version) return `.info names ${JSON.stringify(Version)}, not ${version}`
  const origin = Origin === undefined ? [] : fieldsOf(Origin)
  const strange = [...fields.filter(([k]) => !INFO_FIELDS.has(k)), ...(origin ?? [['Origin', Origin]]).filter(([k, v]) => !ORIGIN_FIELDS.has(k) || typeof v !== 'string')]
  if (typeof Time !== 'string' || Number.isNaN(Date.parse(Time))) return '.info has no time'
  return strange.length === 0 ? undefined : `.info holds what go does not write (${strange.map(([k]) => k).join(', ')})`
}
