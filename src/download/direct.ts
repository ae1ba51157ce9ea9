// Which modules go fetched `direct` in this step, and why; and which it read from a file://
// entry of GOPROXY. A module's zip that appeared in go's download cache during the step came from
// a proxy (go's -x shows the zip answered, or the fetch put it there), from a file:// entry (go
// reads those itself and prints no request for them) or from go's own clone of its repository.
// GONOPROXY (GOPRIVATE) modules are never asked of a proxy, so theirs came from a clone; any other
// came from the first file:// entry holding it, before any `direct`, when no proxy answered go
// for it, or else from a clone when go asked every proxy in the chain for it in vain and moved on
// to `direct`. A file:// directory is the user's, and may be anyone's: what it holds is looked at
// without following a link or leaving its file system (a link or a mount there into one that never
// answers would hold this thread in the kernel, for good), and nothing in it is opened.
import { existsSync, type Stats, statSync } from 'node:fs'
import path from 'node:path'
import type { SumLine } from '../module/gosum.ts'
import { downloadPath, wirePath } from '../module/request.ts'
import type { ModuleRouting, PrivateReason } from '../go/private.ts'
import type { Candidate } from '../go/goproxy.ts'
import { lstatOf, openDirIfThere } from '../util/confined.ts'
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
  /** go's module cache: a file:// entry may be its download cache, which holds every zip go put there. */
  modcache: string
}

/** Whether any of `urls` asks for `line`'s zip. Its path is made once, not for each URL: made inside the loop, for a cold project's 200 zips and 600 requests the rules below took 330 ms of the step's main thread. */
const zipRequests = (urls: string[], line: SumLine) => {
  const zip = `/${wirePath(downloadPath(line.module, line.version, 'zip'))}`
  return urls.some(url => url.endsWith(zip))
}
const appeared = (o: NewZipsSeen, line: SumLine) => !line.goMod && !o.before.has(key(line)) && o.after.has(key(line))

/** The device each file:// entry's directory is on, found once for all zips; an entry whose directory cannot be looked at is left out (nothing is credited to it). */
function fileEntriesOf(chain: Candidate[]): Map<Candidate, number> {
  const devices = new Map<Candidate, number>()
  for (const entry of chain) {
    if (entry.dir === undefined) continue
    try {
      devices.set(entry, statSync(entry.dir).dev)
    } catch {
      // Missing, or not ours to look at.
    }
  }
  return devices
}

/**
 * The file:// entry go read `line`'s zip from: the first one holding it before any `direct` or
 * `off`, when no proxy answered go for it. With the fetch running, only a zip go asked of it in
 * vain (it then went on down the chain): one go never asked for, the fetch put there.
 */
function fileEntryFor(o: NewZipsSeen, files: Map<Candidate, number>, line: SumLine): Candidate | undefined {
  if (files.size === 0) return undefined
  if (o.routing.direct(line.module) || zipRequests(o.requests.answered, line)) return undefined
  if (o.fetched && !zipRequests(o.requests.unanswered, line)) return undefined
  const rel = downloadPath(line.module, line.version, 'zip')
  // The zip go's download cache has now, which was not there before go ran: an entry whose zip is
  // this very file (GOPROXY=file://$GOMODCACHE/cache/download, a habit of offline builds) did not hold it then.
  const cached = lstatOf(path.join(o.modcache, 'cache', 'download', rel))
  for (const c of o.chain) {
    if (c.spec === 'direct' || c.spec === 'off') return undefined
    const device = files.get(c)
    if (device === undefined) continue
    const held = heldIn(c.dir as string, device, rel)
    if (held && !(cached && held.dev === cached.dev && held.ino === cached.ino)) return c
  }
  return undefined
}

/** The entry `rel` of the file:// directory `dir`, reached through real directories on its file system only; undefined where it is not, or is behind a link or another mount. */
function heldIn(dir: string, device: number, rel: string): Stats | undefined {
  try {
    const at = openDirIfThere(dir, path.posix.dirname(rel), device)
    if (!at) return undefined
    try {
      const entry = lstatOf(at.entry(path.posix.basename(rel)))
      // A link there go followed, and so held the zip for go; it is not followed here.
      return entry?.isFile() || entry?.isSymbolicLink() ? entry : undefined
    } finally {
      at.close()
    }
  } catch {
    // Not a directory, a link or another mount on the way: not a zip go's read is credited to.
    return undefined
  }
}

/**
 * Where the zips that appeared between `before` and `after` came from, when not from a proxy
 * that answered go: `direct`, the modules go fetched direct (private by go's settings, or asked
 * of proxies for its zip with no proxy answering it and no file:// entry holding it); `fromFiles`,
 * the zips go read from each file:// entry of the chain.
 */
export function newZipSources(o: NewZipsSeen): { direct: DirectFetch[]; fromFiles: Map<Candidate, number> } {
  const files = fileEntriesOf(o.chain)
  const direct: DirectFetch[] = []
  const fromFiles = new Map<Candidate, number>()
  for (const line of o.lines) {
    if (!appeared(o, line)) continue
    const reason = o.routing.direct(line.module)
    if (reason) {
      direct.push({ module: line.module, version: line.version, why: reason })
      continue
    }
    const entry = fileEntryFor(o, files, line)
    if (entry) fromFiles.set(entry, (fromFiles.get(entry) ?? 0) + 1)
    else if (zipRequests(o.requests.unanswered, line) && !zipRequests(o.requests.answered, line)) direct.push({ module: line.module, version: line.version, why: 'direct' })
  }
  return { direct, fromFiles }
}
