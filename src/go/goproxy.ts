// GOPROXY entries: parsing the candidates, and assembling the chain that go is given.
import { fileURLToPath } from 'node:url'
import { hidesGoUserinfo, hostOf, redactEntry, redactUrl, refusedSecrets, schemeAndSlashes, userinfoOf } from '../util/credentials.ts'
import { wirePath } from '../module/request.ts'

export interface Candidate {
  /** What go is given: a URL (credentials included), `direct` or `off`. */
  spec: string
  /** What people are shown: the URL with its credentials masked. */
  display: string
  /** `direct`, `off` and file:// entries are kept where given but are not probed, fetched from or rotated: go alone uses them. */
  keyword: boolean
  /** A file:// entry's directory, which go reads as a module proxy. */
  dir?: string
}

/**
 * An entry refused: its message quotes it with whatever could be credentials redacted, whichever
 * characters they hold, and `secrets` holds those credentials, to be masked all the same.
 * `split`: the entry may be the start of a user name or password that a `,` or `|` cut in two
 * (`https://u:pa,ss@host` is the entries `https://u:pa` and `ss@host`), so all of it after its
 * scheme is hidden, and kept secret.
 */
export class EntryError extends Error {
  readonly secrets: string[]
  readonly problem: string
  constructor(entry: string, problem: string, options?: ErrorOptions & { split?: boolean }) {
    const scheme = options?.split ? schemeAndSlashes(entry) : undefined
    const shown = scheme === undefined ? redactEntry(entry) : `${scheme}***`
    super(`"${shown}" ${problem}${scheme === undefined ? '' : ' (a "," or "|" in a user name or password ends the entry there: %-escape it)'}`, options)
    this.name = 'EntryError'
    this.problem = problem
    this.secrets = [...new Set([...refusedSecrets(entry), ...(scheme === undefined ? [] : [entry.slice(scheme.length)])])].filter(s => s !== '')
  }
}

export const KEYWORDS = new Set(['direct', 'off'])
export const MAX_CANDIDATES = 16

/** Splits on newlines, commas and `|` (GOPROXY's own separators); throws a message on a bad entry. */
export function parseCandidates(text: string): Candidate[] {
  const entries = text
    .split(/[\n\r,|]+/)
    .map(e => e.trim())
    .filter(e => e !== '')
  if (entries.length === 0) throw new Error('no proxy given')
  if (entries.length > MAX_CANDIDATES) {
    throw new Error(`${entries.length} candidates given; at most ${MAX_CANDIDATES} are allowed`)
  }
  const seen = new Set<string>()
  const candidates: Candidate[] = []
  for (const entry of entries) {
    let candidate: Candidate
    try {
      candidate = parseCandidate(entry)
    } catch (e) {
      // With an `@` elsewhere in the text, an entry without one may be a credential's first half.
      if (e instanceof EntryError && !entry.includes('@') && text.includes('@')) throw new EntryError(entry, e.problem, { cause: e, split: true })
      throw e
    }
    if (seen.has(candidate.spec)) continue
    seen.add(candidate.spec)
    candidates.push(candidate)
  }
  return candidates
}

function parseCandidate(entry: string): Candidate {
  if (KEYWORDS.has(entry)) return { spec: entry, display: entry, keyword: true }
  // A message names a host or a scheme read from the entry only where neither can be a part of the
  // credentials (a password holding an unescaped `/` ends the authority before its `@`: `https://u:0443/x@host`).
  const nameable = hidesGoUserinfo(entry)
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(entry)) {
    throw new EntryError(entry, 'contains a space or a control character')
  }
  if (/^file:/i.test(entry)) return parseFileCandidate(entry)
  // A WHATWG parser reads `\\` as `/`, go does not: the two would send requests to different hosts.
  if (entry.includes('\\')) throw new EntryError(entry, 'contains a backslash')
  // go's url.Parse refuses the whole URL; a WHATWG parser keeps it as written.
  if (/%(?![0-9A-Fa-f]{2})/.test(entry)) throw new EntryError(entry, 'holds an invalid %-escape')
  let url: URL
  try {
    url = new URL(entry)
    // go's reading of the credentials, which the action's requests must match: refused where go refuses them.
    // Once go's checks pass, the WHATWG reading the action's client sends decodes to go's (test/module-rules.test.ts).
    userinfoOf(entry)
    // A WHATWG parser rewrites some hosts (`9` is 0.0.0.9, a default port is dropped): the action's requests must go where go's go.
    const goHost = (hostOf(entry) ?? '').toLowerCase().replace(url.protocol === 'https:' ? /:443$/ : /:80$/, '')
    if (goHost !== url.host) {
      throw new Error(nameable ? `go would send its requests to "${goHost}", not "${url.host}"` : 'go would send its requests to another host than a WHATWG parser reads')
    }
  } catch (e) {
    throw new EntryError(entry, `is not a URL, "direct" or "off"${e instanceof TypeError ? '' : `: ${(e as Error).message}`}`, { cause: e })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EntryError(entry, `uses ${nameable ? url.protocol.slice(0, -1) : 'a scheme that is not http or https'}; only http and https proxies are supported, and file:/// directories`)
  }
  if (url.protocol === 'http:' && (url.username || url.password)) {
    // go refuses them too ("refusing to pass credentials to insecure URL").
    throw new EntryError(entry, 'carries credentials over plain http; use https')
  }
  // An `@` after go's host: go and a WHATWG parser agree on the host, but it is most likely a user
  // name or password holding a `/`, `?` or `#` (`https://u:4/pa55@host` is host `u:4`), which would
  // be shown, and asked of, as a path.
  if (!nameable) throw new EntryError(entry, 'has an "@" after its host; a user name or password holding "/", "?" or "#" must be %-escaped')
  const spec = entry.replace(/\/+$/, '')
  return { spec, display: redactUrl(spec), keyword: false }
}

/**
 * A file:// entry, as go accepts one (modfetch's newProxyRepo): an empty host and a path, nothing
 * else, so `file:///abs/dir`; never a host (`file://host/dir`), no host at all (`file:/abs/dir`),
 * a query or a fragment.
 */
function parseFileCandidate(entry: string): Candidate {
  const rest = entry.slice('file:'.length)
  if (!rest.startsWith('///') || /[?#]/.test(rest)) {
    throw new EntryError(entry, 'is not a file:// proxy go accepts: it must be a path alone, like file:///srv/goproxy (go: invalid file:// proxy URL with non-path elements)')
  }
  let dir: string
  try {
    dir = fileURLToPath(new URL(`file:${rest}`))
  } catch (e) {
    throw new EntryError(entry, `is not a file:// proxy go accepts: ${(e as Error).message}`, { cause: e })
  }
  return { spec: entry, display: entry, keyword: true, dir }
}

/**
 * The chain go is given: the chosen URLs in order, each keyword kept at its place among
 * the URLs it followed. Candidates left out of `chosen` (unhealthy) are dropped.
 */
export function assembleChain(candidates: Candidate[], chosen: Candidate[]): Candidate[] {
  const queue = [...chosen]
  const chain: Candidate[] = []
  let slots = 0
  for (const candidate of candidates) {
    if (candidate.keyword) {
      chain.push(candidate)
    } else if (slots < chosen.length) {
      chain.push(queue.shift() as Candidate)
      slots++
    }
  }
  return chain
}

/** The chain with its URLs rotated by `turns`, so that a retry puts the next one first. */
export function rotateChain(chain: Candidate[], turns: number): Candidate[] {
  const urls = chain.filter(c => !c.keyword)
  if (urls.length === 0) return chain
  const shift = turns % urls.length
  const rotated = [...urls.slice(shift), ...urls.slice(0, shift)]
  return chain.map(c => (c.keyword ? c : (rotated.shift() as Candidate)))
}

/** The entries of the chain that requests (URLs as go's -x prints them) went to. */
export function candidatesOf(chain: Candidate[], requests: string[]): Candidate[] {
  return chain.filter(c => !c.keyword && requests.some(url => requestBase(url).startsWith(`${requestBase(c.spec).replace(/\/$/, '')}/`)))
}

/**
 * Entries that misbehaved (failed requests that `|` or the prefetch worked around) go
 * behind the others; when every URL entry misbehaved, the order stays, as nothing is better.
 */
export function demote(chain: Candidate[], troubled: Candidate[]): { chain: Candidate[]; demoted: Candidate[] } {
  const demoted = chain.filter(c => troubled.includes(c))
  if (demoted.length === 0 || demoted.length === chain.filter(c => !c.keyword).length) return { chain, demoted: [] }
  const order = [...chain.filter(c => !c.keyword && !demoted.includes(c)), ...demoted]
  return { chain: chain.map(c => (c.keyword ? c : (order.shift() as Candidate))), demoted }
}

/**
 * The chain without `out`, as long as go can still fetch with what remains (a URL, `direct` or a
 * file:// entry); else the chain as it is, since nothing is better.
 */
export function leaveOut(chain: Candidate[], out: Candidate[]): Candidate[] {
  const kept = chain.filter(c => !out.includes(c))
  return kept.some(c => !c.keyword || c.spec === 'direct' || c.dir !== undefined) ? kept : chain
}

/** A URL without credentials, as go prints it in -x lines. */
function requestBase(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    return u.href
  } catch {
    return url
  }
}

/** `|` makes go move on after any error from an entry, not only after 404 or 410. */
export function goproxyValue(chain: Candidate[]): string {
  return chain.map(c => c.spec).join('|')
}

export function goproxyDisplay(chain: Candidate[]): string {
  return chain.map(c => c.display).join('|')
}

/** A candidate's URL for `path` (under the candidate's own path, %-encoded as go sends it), its credentials kept for the HTTP client to send. */
export function requestUrl(candidate: Candidate, path: string): string {
  return `${candidate.spec.replace(/\/+$/, '')}/${wirePath(path.replace(/^\/+/, ''))}`
}
