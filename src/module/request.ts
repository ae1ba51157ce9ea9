// The module proxy protocol's request paths, both ways: the path of a module version's file, a
// version list or a latest query; and what a path a client sent names, checked by go's rules.
import { escapePath, unescapePath } from './path.ts'
import { escapeVersion, isCanonicalVersion, unescapeVersion } from './version.ts'

/** A module version's files: its metadata, its go.mod, its source zip. */
export type DownloadKind = 'info' | 'mod' | 'zip'

export type ProxyRequest =
  | { kind: DownloadKind; module: string; version: string; path: string }
  | { kind: 'list' | 'latest'; module: string; path: string }

/** `<escaped module>/@v/<escaped version>.<kind>`: under a proxy's URL, and under go's download cache. */
export function downloadPath(module: string, version: string, kind: DownloadKind): string {
  return `${escapePath(module)}/@v/${escapeVersion(version)}.${kind}`
}

/** `<escaped module>/@v/list`: the versions a proxy has. */
export function listPath(module: string): string {
  return `${escapePath(module)}/@v/list`
}

/** `<escaped module>/@latest`: the version a proxy would pick without a list. */
export function latestPath(module: string): string {
  return `${escapePath(module)}/@latest`
}

/**
 * The path as go puts it in a request URL (net/url's PathEscape of each element): letters,
 * digits and `-._~$&+:=@` as they are, every other byte %-encoded. A version may hold `%` or a
 * space; sent unencoded, a candidate would read another version than the one checked.
 */
export function wirePath(path: string): string {
  return path
    .split('/')
    .map(element => [...Buffer.from(element)].map(b => (/[A-Za-z0-9\-._~$&+:=@]/.test(String.fromCharCode(b)) && b < 0x80 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join(''))
    .join('/')
}

/**
 * What a request path names, or why it names nothing go could ask: `path` is the URL's path
 * after the proxy's own prefix, still percent-encoded. Each element is decoded once (go sends
 * `!` as `%21`); one that decodes to a `/`, or does not decode, is refused, and so is any module
 * path or version go's escaping could not have written. The path given back is rebuilt from
 * the checked module and version: nothing of the request's own spelling reaches a file name.
 */
export function parseRequestPath(path: string): ProxyRequest | { problem: string } {
  const decoded: string[] = []
  for (const element of path.split('/')) {
    let text: string
    try {
      text = decodeURIComponent(element)
    } catch {
      return { problem: 'malformed percent-encoding' }
    }
    if (text.includes('/')) return { problem: 'an encoded / in the path' }
    decoded.push(text)
  }
  const whole = decoded.join('/')
  const latest = /^(.+)\/@latest$/.exec(whole)
  const list = /^(.+)\/@v\/list$/.exec(whole)
  const file = /^(.+)\/@v\/([^/]+)\.(info|mod|zip)$/.exec(whole)
  const escapedModule = (latest ?? list ?? file)?.[1]
  if (escapedModule === undefined) return { problem: 'not a module proxy request' }
  const module = unescapePath(escapedModule)
  if (module === undefined) return { problem: 'not a module path go could ask for' }
  if (latest) return { kind: 'latest', module, path: latestPath(module) }
  if (list) return { kind: 'list', module, path: listPath(module) }
  const [, , escapedVersion, kind] = file as RegExpExecArray
  const version = unescapeVersion(escapedVersion as string)
  if (version === undefined) return { problem: 'not a version go could ask for' }
  // go asks for a .mod or a .zip only by canonical version; an .info also by branch or commit.
  if (kind !== 'info' && !isCanonicalVersion(version)) return { problem: `not a canonical version, as go asks a .${kind} for` }
  return { kind: kind as DownloadKind, module, version, path: downloadPath(module, version, kind as DownloadKind) }
}
