// Which modules go fetched `direct` in this step, and why. A module's zip that appeared in go's
// download cache during the step came from a proxy (go's -x shows the zip answered, or the fetch
// put it there) or from go's own clone of its repository. GONOPROXY (GOPRIVATE) modules are never
// asked of a proxy, so theirs came from a clone; any other came from one when go asked every proxy
// in the chain for it in vain and moved on to `direct`.
import { existsSync } from 'node:fs'
import path from 'node:path'
import type { SumLine } from '../module/gosum.ts'
import { downloadPath, wirePath } from '../module/request.ts'
import type { ModuleRouting, PrivateReason } from '../go/private.ts'
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

/**
 * The modules go fetched direct: of go.sum's, those whose zip appeared between `before` and
 * `after`, private by go's settings, or asked of proxies for its zip with no proxy answering it.
 */
export function directFetches(o: { lines: SumLine[]; before: Set<string>; after: Set<string>; requests: GoRequests; routing: ModuleRouting }): DirectFetch[] {
  const zipRequests = (urls: string[], line: SumLine) => urls.some(url => url.endsWith(`/${wirePath(downloadPath(line.module, line.version, 'zip'))}`))
  const fetched: DirectFetch[] = []
  for (const line of o.lines) {
    if (line.goMod || o.before.has(key(line)) || !o.after.has(key(line))) continue
    const reason = o.routing.direct(line.module)
    if (reason) fetched.push({ module: line.module, version: line.version, why: reason })
    else if (zipRequests(o.requests.unanswered, line) && !zipRequests(o.requests.answered, line)) fetched.push({ module: line.module, version: line.version, why: 'direct' })
  }
  return fetched
}

