// Which modules go fetched `direct` in this step, and why; and which it read from a file://
// entry of GOPROXY. A module's zip that appeared in go's download cache during the step came from
// a proxy (go's -x shows the zip answered, or the fetch put it there), from a file:// entry (go
// reads those itself and prints no request for them) or from go's own clone of its repository.
// GONOPROXY (GOPRIVATE) modules are never asked of a proxy, so theirs came from a clone; any other
// came from the first file:// entry holding it, before any `direct`, when no proxy answered go
// for it, or else from a clone when go asked every proxy in the chain for it in vain and moved on
// to `direct`.
import { existsSync } from 'node:fs'
import path from 'node:path'
import type { SumLine } from '../module/gosum.ts'
import { downloadPath, wirePath } from '../module/request.ts'
import type { ModuleRouting, PrivateReason } from '../go/private.ts'
import type { Candidate } from '../go/goproxy.ts'
import type { GoRequests } from './go-output.ts'

/** GOPRIVATE or GONOPROXY covers the module; `direct`: the chain's `direct` entry, after the proxies before it lacked it. */
export type DirectReason = PrivateReason | 'direct'

export interface DirectFetch {
  module: string
  version: string
  why: DirectReason
}

const key = (line: Pick<SumLine, 'module' | 'version'>) => `${line.module}@${line.version}`

/** The go.sum modules whose zip is in go's download cache (`module@version`). */
export function zipsPresent(modcache: string, lines: SumLine[]): Set<string> {
  return new Set(lines.filter(l => !l.goMod && existsSync(path.join(modcache, 'cache', 'download', downloadPath(l.module, l.version, 'zip')))).map(key))
}

/** What the step saw of go's downloads: go.sum's lines, which zips were there before and after, go's requests, and the chain go was given. */
export interface NewZipsSeen {
  lines: SumLine[]
  before: Set<string>
  after: Set<string>
  requests: GoRequests
  routing: ModuleRouting
  /** The chain go was given, file:// entries and keywords in place. */
  chain: Candidate[]
  /** Whether the fetch ran: it puts zips in go's download cache that go then never asks for. */
  fetched: boolean
}

const zipRequests = (urls: string[], line: SumLine) => urls.some(url => url.endsWith(`/${wirePath(downloadPath(line.module, line.version, 'zip'))}`))
const appeared = (o: NewZipsSeen, line: SumLine) => !line.goMod && !o.before.has(key(line)) && o.after.has(key(line))

/**
 * The file:// entry go read `line`'s zip from: the first one holding it before any `direct` or
 * `off`, when no proxy answered go for it. With the fetch running, only a zip go asked of it in
 * vain (it then went on down the chain): one go never asked for, the fetch put there.
 */
function fileEntryFor(o: NewZipsSeen, line: SumLine): Candidate | undefined {
  if (o.routing.direct(line.module) || zipRequests(o.requests.answered, line)) return undefined
  if (o.fetched && !zipRequests(o.requests.unanswered, line)) return undefined
  for (const c of o.chain) {
    if (c.spec === 'direct' || c.spec === 'off') return undefined
    if (c.dir !== undefined && existsSync(path.join(c.dir, downloadPath(line.module, line.version, 'zip')))) return c
  }
  return undefined
}

/**
 * The modules go fetched direct: of go.sum's, those whose zip appeared between `before` and
 * `after`, private by go's settings, or asked of proxies for its zip with no proxy answering it
 * and no file:// entry holding it.
 */
export function directFetches(o: NewZipsSeen): DirectFetch[] {
  const fetched: DirectFetch[] = []
  for (const line of o.lines) {
    if (!appeared(o, line)) continue
    const reason = o.routing.direct(line.module)
    if (reason) fetched.push({ module: line.module, version: line.version, why: reason })
    else if (zipRequests(o.requests.unanswered, line) && !zipRequests(o.requests.answered, line) && !fileEntryFor(o, line)) fetched.push({ module: line.module, version: line.version, why: 'direct' })
  }
  return fetched
}

/** The zips go read from each file:// entry of the chain in this step. */
export function fileReads(o: NewZipsSeen): Map<Candidate, number> {
  const reads = new Map<Candidate, number>()
  for (const line of o.lines) {
    const entry = appeared(o, line) ? fileEntryFor(o, line) : undefined
    if (entry) reads.set(entry, (reads.get(entry) ?? 0) + 1)
  }
  return reads
}
