// URLs may carry credentials (`user:token@`, `token@`, `ghp_…:x-oauth-basic@`). They must reach
// go and the action's own requests, and nothing else: every part of a URL's userinfo, the user
// name as much as the password, is a secret, and a URL is shown as `scheme://***@host/path`.

/** A URL's credentials as go reads them: decoded, and as written. */
export interface Userinfo {
  username: string
  password: string
  /** The userinfo as written in the URL, before its last `@`. */
  written: string
}

// go's net/url: userinfo may hold letters, digits, `-._:~!$&'()*+,;=%`, and `@` (golang/go#3439).
const USERINFO_CHARS = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/

/**
 * The credentials of `url` as go's url.Parse reads them (the authority's userinfo is everything
 * before its last `@`, split at the first `:`, each half percent-decoded), or undefined when it
 * carries none. Throws, as go fails, on userinfo go refuses: an invalid escape, or a character
 * such as `\`, `[` or a non-ASCII letter, which a WHATWG parser would read otherwise.
 */
export function userinfoOf(url: string): Userinfo | undefined {
  const authority = authorityOf(url)
  const at = authority?.lastIndexOf('@') ?? -1
  if (authority === undefined || at < 0) return undefined
  const written = authority.slice(0, at)
  if (!USERINFO_CHARS.test(written)) throw new Error('its user name or password holds a character go refuses there')
  const colon = written.indexOf(':')
  const decode = (text: string) => {
    if (/%(?![0-9A-Fa-f]{2})/.test(text)) throw new Error('its user name or password holds an invalid %-escape')
    try {
      return decodeURIComponent(text)
    } catch {
      // go would send the bytes; Basic credentials that are not text are refused here.
      throw new Error('its user name or password is not UTF-8 text')
    }
  }
  return colon < 0 ? { username: decode(written), password: '', written } : { username: decode(written.slice(0, colon)), password: decode(written.slice(colon + 1)), written }
}

/** The authority of `url` as go's url.Parse delimits it: after `scheme://`, up to the first `/`, `?` or `#`. */
const authorityOf = (url: string) => /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(url)?.[1]

/** The host (and port) go sends `url`'s requests to: its authority after the last `@`. */
export function hostOf(url: string): string | undefined {
  const authority = authorityOf(url)
  return authority?.slice(authority.lastIndexOf('@') + 1)
}

// The scheme, then everything up to the authority's last `@`, the authority ending as go's url.Parse
// ends it (at the first `/`, `?` or `#`; a `\` is part of it): all of the userinfo, however many `@`
// or `\` it holds. A WHATWG parser, which also ends it at a `\`, reads a part of this at most.
const WITH_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i

/** The URL as given, its whole userinfo replaced by `***`: `https://***@host/path`. */
export function redactUrl(raw: string): string {
  return raw.replace(WITH_USERINFO, '$1***@')
}

/**
 * What a refused entry may hold of credentials, read as broadly as any reading could: everything
 * before its last `@`, after `scheme:` and the slashes (or backslashes) that follow it, or from its
 * start where no slash follows a scheme (a WHATWG parser reads `https:u:p@h` as userinfo; `u:p@h`
 * may be a URL without its scheme). Broader than go's reading on purpose: a password holding an
 * unescaped `/`, `?` or `#` ends go's authority before its `@`, and the entry is refused for it.
 */
function suspectSpan(entry: string): { start: number; end: number } | undefined {
  const end = entry.lastIndexOf('@')
  if (end < 0) return undefined
  return { start: schemeAndSlashes(entry).length, end }
}

/** An entry's `scheme:` and the slashes (or backslashes) that follow it; '' when no slash follows a scheme. */
export function schemeAndSlashes(entry: string): string {
  return /^[a-z][a-z0-9+.-]*:[/\\]+/i.exec(entry)?.[0] ?? ''
}

/** What redactEntry hides of `entry`: '' when nothing. */
export function suspectUserinfo(entry: string): string {
  const span = suspectSpan(entry)
  return span ? entry.slice(span.start, span.end) : ''
}

/**
 * An entry someone wrote (a proxies entry, a command-line word), as a message refusing it quotes
 * it: whatever could be credentials replaced by `***`, `https://***@host`, whichever characters
 * they hold.
 */
export function redactEntry(entry: string): string {
  const span = suspectSpan(entry)
  return span ? `${entry.slice(0, span.start)}***${entry.slice(span.end)}` : entry
}

/**
 * Whether what redactEntry hides of `entry` is go's userinfo exactly (or nothing): then no other
 * part of it, its host and scheme included, can be a part of the credentials in any reading.
 */
export function hidesGoUserinfo(entry: string): boolean {
  return suspectUserinfo(entry) === (WITH_USERINFO.exec(entry)?.[2] ?? '')
}

/** The secrets of an entry refused: secretsIn's, and the whole of what redactEntry hides. */
export function refusedSecrets(entry: string): string[] {
  return [...new Set([...secretsIn(entry), suspectUserinfo(entry)])].filter(s => s !== '')
}

/**
 * Every form in which a URL's credentials could be printed, for the runner's log masking and
 * the summary's: each of user name and password as written, decoded, and escaped again as a
 * WHATWG URL and go print them, and the userinfo whole.
 */
export function secretsIn(raw: string): string[] {
  let info: Userinfo | undefined
  try {
    info = userinfoOf(raw)
  } catch {
    // Refused URLs are reported redacted; what stands before the authority's last `@` (a `\` included) is still masked.
    const written = WITH_USERINFO.exec(raw)?.[2]
    info = written === undefined ? undefined : { username: written, password: '', written }
  }
  if (!info) return []
  const { username, password, written } = info
  const colon = written.indexOf(':')
  const forms = [written, ...(colon < 0 ? [] : [written.slice(0, colon), written.slice(colon + 1)])]
  for (const part of [username, password]) forms.push(part, encodeURIComponent(part), goEscape(part))
  try {
    const whatwg = new URL(raw)
    forms.push(whatwg.username, whatwg.password)
  } catch {
    // Not a URL a WHATWG parser reads: nothing more it could print.
  }
  return [...new Set(forms)].filter(s => s !== '')
}

// What go's url.Userinfo prints as it is (net/url's shouldEscape in encodeUserPassword mode): RFC 3986's
// unreserved characters, and the sub-delimiters it leaves alone in userinfo.
const GO_USERINFO_KEPT = /^[A-Za-z0-9\-._~$&+,;=]$/

/**
 * A user name or password as go's url.Userinfo prints it (String, and so Redacted, which keeps
 * the user name): each UTF-8 byte %-escaped in upper case, but for letters, digits and `-._~$&+,;=`.
 */
function goEscape(text: string): string {
  return [...Buffer.from(text)].map(b => (GO_USERINFO_KEPT.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('')
}

/** Replaces every secret in text by `***` (for what the runner does not mask: summary, outputs), longest first. */
export function maskSecrets(text: string, secrets: string[]): string {
  return [...secrets]
    .filter(s => s !== '')
    .sort((a, b) => b.length - a.length)
    .reduce((t, s) => t.split(s).join('***'), text)
}
