// The checksum database go asks when go.sum lacks a line: which one (GOSUMDB), and the routes
// to it go would take. go first asks each GOPROXY entry for `/sumdb/<name>/supported` and uses
// the first that answers 200 for every lookup; past 404/410 and at `direct`, it asks the
// database itself (golang.org/design/25530-sumdb#proxying-a-checksum-database). Its answers are
// signed and go checks them, so relaying them is safe; what goes wrong is silence, as with
// proxies. A URL given in GOSUMDB bypasses the proxies: go asks only it. The probe finds the
// routes; during an attempt go's GOSUMDB names the local proxy as the database's URL, and the
// local proxy relays each lookup over the routes go would have taken, with the fetch's hedging,
// failover and per-request limits (a proxying candidate first, then the database itself).
import { formatDuration } from '../util/duration.ts'
import { type Candidate, requestUrl } from './goproxy.ts'
import type { HttpClient } from '../net/client.ts'
import { classifyError } from '../net/errors.ts'
import { Cutoff } from '../probe/cutoff.ts'
import { FLOOR_BYTES_PER_SEC } from '../util/timing.ts'

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

/** What the route probe tells as it goes: a candidate that proxies the database, and the end of the candidates' answers. */
export interface RouteEvents {
  proxies: (candidate: Candidate, latencyMs: number) => void
  candidatesDone: () => void
}

/**
 * Asks each URL candidate whether it proxies the database (unless GOSUMDB names its URL), with
 * the module probe's hedged cut-off (once one has answered, the others only until the
 * cut-off), and the database itself when none does. `events` hears of each route as it answers.
 */
export async function probeSumdb(client: HttpClient, candidates: Candidate[], route: SumdbRoute, timeoutMs: number, events?: RouteEvents): Promise<SumdbProbe> {
  const cutoff = new Cutoff(timeoutMs)
  let asked: SumdbProbe['candidates']
  try {
    asked = await Promise.all(
      candidates
        .filter(c => !c.keyword && !route.explicit)
        .map(async candidate => {
          const answer = await ask(client, requestUrl(candidate, `sumdb/${route.name}/supported`), timeoutMs, cutoff.signal)
          if (answer.status !== undefined) cutoff.answered(answer.ms, candidate.display)
          const proxies = answer.status === 200
          if (proxies) events?.proxies(candidate, answer.ms)
          const reason = proxies ? `proxies it (${formatDuration(answer.ms)})` : answer.status ? `does not proxy it (HTTP ${answer.status})` : (answer.error as string)
          return { candidate, proxies, reason }
        })
    )
  } finally {
    cutoff.clear()
  }
  events?.candidatesDone()
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

async function ask(client: HttpClient, url: string, timeoutMs: number, cutoff?: AbortSignal): Promise<{ status?: number; body?: string; ms: number; error?: string }> {
  const started = performance.now()
  try {
    const answer = await client.get(url, {
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(cutoff ? [cutoff] : [])]),
      maxBytes: MAX_BODY,
      floor: { bytesPerSec: FLOOR_BYTES_PER_SEC, windowMs: timeoutMs }
    })
    return { status: answer.status, body: answer.body.toString('utf8', 0, 64), ms: performance.now() - started }
  } catch (e) {
    if (cutoff?.aborted) return { ms: performance.now() - started, error: String(cutoff.reason) }
    const error = classifyError(e)
    return { ms: performance.now() - started, error: error.kind === 'silent' ? `no answer within ${formatDuration(timeoutMs)}` : error.message }
  }
}

/** A candidate's `/sumdb/<name>` as a route of its own: what the relay asks. */
function through(c: Candidate, name: string): Candidate {
  return { spec: `${c.spec.replace(/\/+$/, '')}/sumdb/${name}`, display: `${c.display.replace(/\/+$/, '')}/sumdb/${name}`, keyword: false }
}

/**
 * What the local proxy relays go's lookups over: the database's name (and GOSUMDB's first field) and its routes, best first:
 * the candidates that proxy it (their /sumdb/<name>/ as a base), then the database itself.
 */
export function sumdbRelay(p: SumdbProbe): { name: string; key: string; routes: Candidate[] } {
  const { route } = p
  const proxied = route.explicit ? [] : p.proxiedBy
  return { name: route.name, key: route.key, routes: [...proxied.map(c => through(c, route.name)), { spec: route.url, display: route.url, keyword: false }] }
}

/**
 * The routes to the database as the probe learns them, for the step's relay: go's first attempt
 * does not wait for the route probe, and a lookup waits only for the first route that answers.
 */
export class SumdbRoutes {
  readonly route: SumdbRoute
  /** What the probe found, once every candidate answered or was cut off (and the database was asked, when none proxies it). */
  readonly done: Promise<SumdbProbe>
  private readonly proxying: { candidate: Candidate; latencyMs: number }[] = []
  private candidatesDone = false
  private readonly listeners: (() => void)[] = []
  /** One route object per candidate, and one for the database: the relay's fetcher keeps what it learns of each by object. */
  private readonly routes = new Map<string, Candidate>()

  constructor(client: HttpClient, candidates: Candidate[], route: SumdbRoute, timeoutMs: number) {
    this.route = route
    this.done = probeSumdb(client, candidates, route, timeoutMs, {
      proxies: (candidate, latencyMs) => {
        this.proxying.push({ candidate, latencyMs })
        this.changed()
      },
      candidatesDone: () => {
        this.candidatesDone = true
        this.changed()
      }
    })
  }

  /**
   * The relay's routes among `chain` (go's chain: a candidate the probe left out is not asked),
   * in its order: those that proxy the database so far, then, once every candidate has answered,
   * the database itself; `final` then.
   */
  relay(chain: Candidate[]): { routes: { candidate: Candidate; latencyMs: number }[]; final: boolean } {
    const { name, url } = this.route
    const stable = (c: Candidate) => {
      if (!this.routes.has(c.spec)) this.routes.set(c.spec, c)
      return this.routes.get(c.spec) as Candidate
    }
    const proxied = chain.flatMap(c => this.proxying.filter(p => p.candidate.spec === c.spec).map(p => ({ candidate: stable(through(c, name)), latencyMs: p.latencyMs })))
    const direct = this.candidatesDone ? [{ candidate: stable({ spec: url, display: url, keyword: false }), latencyMs: 0 }] : []
    return { routes: [...proxied, ...direct], final: this.candidatesDone }
  }

  /** `listener` now, and on every new route. */
  follow(listener: () => void): void {
    this.listeners.push(listener)
    listener()
  }

  private changed(): void {
    for (const listener of this.listeners) listener()
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
