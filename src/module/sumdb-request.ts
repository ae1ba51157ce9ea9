// The checksum database's request paths a proxy relays (`<proxy>/sumdb/<name>/…`), as go's
// client asks them and golang.org/x/mod/sumdb's server reads them: `supported`, `latest`,
// `lookup/<escaped module>@<escaped version>`, and tiles in their one canonical spelling.
import { unescapePath } from './path.ts'
import { unescapeVersion } from './version.ts'

export type SumdbRequest = { kind: 'supported' | 'latest' | 'lookup' | 'tile'; path: string }

// The server's own syntax for a lookup: a module, `@`, and a semantic version.
const LOOKUP = /^lookup\/([^@]+)@(v[0-9]+\.[0-9]+\.[0-9]+(?:-[^@]*)?(?:\+incompatible)?)$/
// tile/H/L/N[.p/W]: H from 1 to 30, L a level or `data`, N in groups of three digits, each but the last after an `x`.
const TILE = /^tile\/([1-9][0-9]?)\/(data|0|[1-9][0-9]*)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]*))?$/

/**
 * What a relayed path names, or why it names nothing go's client asks. `path` is what follows
 * `sumdb/<name>/`, still percent-encoded; its elements are decoded once, like a module request's.
 */
export function parseSumdbPath(path: string): SumdbRequest | { problem: string } {
  let decoded: string
  try {
    const elements = path.split('/').map(e => decodeURIComponent(e))
    if (elements.some(e => e.includes('/'))) return { problem: 'an encoded / in the path' }
    decoded = elements.join('/')
  } catch {
    return { problem: 'malformed percent-encoding' }
  }
  if (decoded === 'supported' || decoded === 'latest') return { kind: decoded, path: decoded }
  const lookup = LOOKUP.exec(decoded)
  if (lookup) {
    const module = unescapePath(lookup[1] as string)
    const version = unescapeVersion(lookup[2] as string)
    if (module === undefined || version === undefined) return { problem: 'not a module version go could look up' }
    return { kind: 'lookup', path: decoded }
  }
  const tile = TILE.exec(decoded)
  if (tile) {
    const height = Number(tile[1])
    const groups = (tile[3] as string).split('/')
    // The first of several groups is never x000: go writes no leading zero groups.
    const leadingZeros = groups.length > 1 && groups[0] === 'x000'
    const width = tile[4] === undefined ? undefined : Number(tile[4])
    if (height <= 30 && !leadingZeros && (width === undefined || width < 2 ** height)) return { kind: 'tile', path: decoded }
  }
  return { problem: 'not a checksum database request' }
}
