// The checksum database go asks when go.sum lacks a line: which one (GOSUMDB), and the routes
// to it go would take. go first asks each GOPROXY entry for `/sumdb/<name>/supported` and uses
// the first that answers 200 for every lookup; past 404/410 and at `direct`, it asks the
// database itself (golang.org/design/25530-sumdb#proxying-a-checksum-database). Its answers are
// signed and go checks them, so relaying them is safe; what goes wrong is silence, as with
// proxies. A URL given in GOSUMDB bypasses the proxies: go asks only it. The probe finds the
// routes; during an attempt go's GOSUMDB names the local proxy as the database's URL, and the
// local proxy relays each lookup over the routes go would have taken, with the fetch's hedging,
// failover and per-request limits (a proxying candidate first, then the database itself).
import { formatDuration } from './duration.ts'
import { type Candidate, requestUrl } from './goproxy.ts'
import type { HttpClient } from './net/client.ts'
import { classifyError } from './net/errors.ts'

export interface SumdbRoute {
  /** GOSUMDB's first field: the name, or name and key. */
  key: string
  /** The database's name, as in `/sumdb/<name>/` and its key. */
  name: string
  /** Where go reaches it directly. */
  url: string
  /** The URL was given in GOSUMDB: go asks it alone, never through a proxy. */
  explicit: boolean
}

/** GOSUMDB (`off`, `<name>`, `<name>+<key>`, each optionally followed by a URL): the database, or undefined when go asks none. */
export function parseGosumdb(value: string): SumdbRoute | undefined {
  const [key, url] = value.trim().split(/\s+/)
  if (!key || key === 'off') return undefined
  const name = key.split('+')[0] as string
  return { key, name, url: (url ?? `https://${name}`).replace(/\/+$/, ''), explicit: url !== undefined }
}

export interface SumdbProbe {
  route: SumdbRoute
  /** Candidates that proxy it (answered 200 to /supported), in chain order. */
  proxiedBy: Candidate[]
  /** Per URL candidate: what it answered. */
  candidates: { candidate: Candidate; proxies: boolean; reason: string }[]
  /** The database itself, asked when no candidate proxies it. */
  direct?: { ok: boolean; reason: string }
}

const MAX_BODY = 64 << 10

/** Asks each URL candidate whether it proxies the database (unless GOSUMDB names its URL), and the database itself when none does. */
export async function probeSumdb(client: HttpClient, candidates: Candidate[], route: SumdbRoute, timeoutMs: number): Promise<SumdbProbe> {
  const asked = await Promise.all(
    candidates
      .filter(c => !c.keyword && !route.explicit)
      .map(async candidate => {
        const answer = await ask(client, requestUrl(candidate, `sumdb/${route.name}/supported`), timeoutMs)
        const proxies = answer.status === 200
        const reason = proxies ? `proxies it (${formatDuration(answer.ms)})` : answer.status ? `does not proxy it (HTTP ${answer.status})` : (answer.error as string)
        return { candidate, proxies, reason }
      })
  )
  const probe: SumdbProbe = { route, proxiedBy: asked.filter(a => a.proxies).map(a => a.candidate), candidates: asked }
  if (probe.proxiedBy.length === 0) {
    // A signed tree head: the smallest answer that proves the database is there.
    const answer = await ask(client, `${route.url}/latest`, timeoutMs)
    probe.direct =
      answer.status === 200 && answer.body?.startsWith('go.sum database tree')
        ? { ok: true, reason: `answered directly in ${formatDuration(answer.ms)}` }
        : { ok: false, reason: answer.status ? `HTTP ${answer.status} from ${route.url}/latest` : (answer.error as string) }
  }
  return probe
}

async function ask(client: HttpClient, url: string, timeoutMs: number): Promise<{ status?: number; body?: string; ms: number; error?: string }> {
  const started = performance.now()
  try {
    const answer = await client.get(url, { signal: AbortSignal.timeout(timeoutMs), maxBytes: MAX_BODY })
    return { status: answer.status, body: answer.body.toString('utf8', 0, 64), ms: performance.now() - started }
  } catch (e) {
    const error = classifyError(e)
    return { ms: performance.now() - started, error: error.kind === 'silent' ? `no answer within ${formatDuration(timeoutMs)}` : error.message }
  }
}

/**
 * What the local proxy relays go's lookups over: the database's name (and GOSUMDB's first field) and its routes, best first:
 * the candidates that proxy it (their /sumdb/<name>/ as a base), then the database itself.
 */
export function sumdbRelay(p: SumdbProbe): { name: string; key: string; routes: Candidate[] } {
  const { route } = p
  const proxied = route.explicit ? [] : p.proxiedBy
  return {
    name: route.name,
    key: route.key,
    routes: [
      ...proxied.map(c => ({ spec: `${c.spec.replace(/\/+$/, '')}/sumdb/${route.name}`, display: `${c.display.replace(/\/+$/, '')}/sumdb/${route.name}`, keyword: false })),
      { spec: route.url, display: route.url, keyword: false }
    ]
  }
}

/** One line for the summary: the routes, and (`relayed`, when the local proxy ran) how go's lookups took them. */
export function describeSumdb(p: SumdbProbe, relayed: boolean): string {
  const routes = p.route.explicit ? ['GOSUMDB names its URL, so go asks it alone'] : p.candidates.map(c => `${c.candidate.display} ${c.reason}`)
  const direct = p.direct ? [`${p.route.url} ${p.direct.ok ? p.direct.reason : `did not answer: ${p.direct.reason}`}`] : []
  const how = relayed
    ? ` go's lookups went through the local proxy, ${p.proxiedBy.length > 0 ? 'over the candidates that proxy it, then the database itself' : 'to the database itself'}, with the same limits and failover as module files.`
    : ''
  return `Checksum database ${p.route.name} (asked for modules go.sum lacks): ${[...routes, ...direct].join('; ')}.${how}`
}
