// GOAUTH, as go applies it to https requests: `off`, `netrc` (the default), and user commands
// whose output maps URL prefixes to headers. Credentials are looked up by the request URL
// without `https://`, walking up its path (example.com/a/b, example.com/a, example.com), so a
// .netrc `machine` matches a URL's host as written (with its port, if the URL has one).
// `git dir` is go's alone: the action's own requests go without it (docs/action.md says so).
import { output } from '../util/process.ts'
import { readSettingsFile } from '../util/settings-file.ts'
import { netrcPath, parseNetrc } from './netrc.ts'
import type { Env } from './proxy-env.ts'

export type Headers = Record<string, string[]>

export interface GoAuth {
  /** Headers for an https request to url (none for http: go never sends credentials in the clear). */
  headersFor: (url: URL) => Headers | undefined
  /** After a 4xx, go runs its GOAUTH commands again with the URL and retries: true when there are commands to run. */
  refresh: (url: URL, status: string) => Promise<boolean>
  /** Every credential value it has held, to be masked wherever the action writes. */
  secrets: () => string[]
  /** GOAUTH methods the action cannot apply, for the log. */
  unsupported: string[]
}

/** cmd/internal/quoted.Split: words separated by spaces, with '…' or "…" quoting. */
export function splitQuoted(text: string): string[] {
  const words: string[] = []
  let i = 0
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] as string)) i++
    if (i >= text.length) break
    const quote = text[i]
    if (quote === '"' || quote === "'") {
      const end = text.indexOf(quote, i + 1)
      if (end < 0) throw new Error(`unterminated ${quote} string`)
      words.push(text.slice(i + 1, end))
      i = end + 1
    } else {
      const start = i
      while (i < text.length && !/\s/.test(text[i] as string)) i++
      words.push(text.slice(start, i))
    }
  }
  return words
}

/** A GOAUTH command's output: blocks of `https://` prefix lines, a blank line, header lines, a blank line. */
export function parseAuthOutput(text: string): Map<string, Headers> {
  const credentials = new Map<string, Headers>()
  const lines = text.split('\n').map(l => l.replace(/\r$/, ''))
  let i = 0
  while (i < lines.length && !(i === lines.length - 1 && lines[i] === '')) {
    const prefixes: string[] = []
    for (; ; i++) {
      const line = lines[i]
      if (line === undefined) throw new Error('invalid format: expected url prefix or empty line')
      if (line.trim() !== line) throw new Error('invalid format: leading or trailing white space')
      if (line === '') break
      if (!line.startsWith('https://')) throw new Error('invalid format: expected url prefix or empty line')
      prefixes.push(line)
    }
    i++
    if (prefixes.length === 0) throw new Error('invalid format: expected url prefix')
    const headers: Headers = {}
    for (; i < lines.length && lines[i] !== ''; i++) {
      const line = lines[i] as string
      const colon = line.indexOf(':')
      if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(line.slice(0, 40))}`)
      const name = line.slice(0, colon).trim()
      ;(headers[name] ??= []).push(line.slice(colon + 1).trim())
    }
    i++
    for (const prefix of prefixes) credentials.set(trimPrefix(prefix), headers)
  }
  return credentials
}

const trimPrefix = (prefix: string) => prefix.replace(/^https:\/\//, '').replace(/\/$/, '')

/** A GOAUTH command must not hang the action; go gives it no limit, so this one is generous. */
const COMMAND_TIMEOUT_MS = 60_000

async function runCommand(words: string[], env: Env, url?: URL, status?: string): Promise<Map<string, Headers>> {
  const args = [...words.slice(1), ...(url ? [url.href] : [])]
  let answer: { code: number; stdout: string; stderr: string }
  try {
    // go hands the command the response that asked for credentials.
    answer = await output(words[0] as string, args, { env: env as Record<string, string>, timeoutMs: COMMAND_TIMEOUT_MS, maxBytes: 1 << 20, input: status ? `HTTP/1.1 ${status}\n\n` : '' })
  } catch (e) {
    throw new Error(`GOAUTH command ${words[0]} failed: ${(e as Error).message.split('\n')[0]}`, { cause: e })
  }
  if (answer.code !== 0) throw new Error(`GOAUTH command ${words[0]} failed: exit code ${answer.code}`)
  try {
    return parseAuthOutput(answer.stdout)
  } catch (e) {
    throw new Error(`cannot parse output of GOAUTH command ${words[0]}: ${(e as Error).message}`, { cause: e })
  }
}

export async function loadGoAuth(goauth: string, env: Env, platform: NodeJS.Platform = process.platform): Promise<GoAuth> {
  const cache = new Map<string, Headers>()
  const store = (prefix: string, headers: Headers) => {
    cache.set(prefix, headers)
    for (const values of Object.values(headers)) for (const v of values) for (const secret of [v, ...secretParts(v)]) secrets.add(secret)
  }
  const secrets = new Set<string>()
  const unsupported: string[] = []
  const commands: string[][] = []
  const methods = goauth.split(';').map(m => m.trim())
  if (methods.includes('off') && methods.length > 1) throw new Error(`GOAUTH=off cannot be combined with other authentication commands (GOAUTH=${goauth})`)
  // go processes the methods last to first, so that the first one listed wins.
  const run = async (url?: URL, status?: string) => {
    for (const method of [...methods].reverse()) {
      const words = splitQuoted(method)
      if (words.length === 0) throw new Error(`GOAUTH has an empty command (GOAUTH=${goauth})`)
      if (words[0] === 'off') return
      if (words[0] === 'netrc') {
        if (url) continue
        const file = netrcPath(env, platform)
        const text = file === undefined ? '' : readOptional(file)
        // Last to first, so that the first entry for a machine is the one kept.
        for (const entry of parseNetrc(text).reverse()) store(trimPrefix(entry.machine), { Authorization: [basicAuthorization(entry.login, entry.password)] })
      } else if (words[0] === 'git' || words[0] === 'mtls') {
        if (!url && !unsupported.includes(method)) unsupported.push(method)
      } else {
        if (!url) commands.push(words)
        const found = await runCommand(words, env, url, status).catch(() => new Map<string, Headers>())
        for (const [prefix, headers] of found) {
          if (Object.keys(headers).length === 0) cache.delete(prefix)
          else store(prefix, headers)
        }
      }
    }
  }
  await run()
  return {
    headersFor: url => {
      if (url.protocol !== 'https:' || url.username || url.password) return undefined
      let prefix = trimPrefix(url.href)
      for (;;) {
        const headers = cache.get(prefix)
        if (headers) return headers
        const slash = prefix.lastIndexOf('/')
        if (slash < 0) return undefined
        prefix = prefix.slice(0, slash)
      }
    },
    refresh: async (url, status) => {
      if (commands.length === 0) return false
      await run(url, status)
      return true
    },
    secrets: () => [...secrets],
    unsupported
  }
}

/** An Authorization header's value for a user and password, as go's SetBasicAuth writes it. */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

/**
 * The token of `Basic xyz` / `Bearer xyz`, and a Basic pair's password, each maskable alone; the
 * pair's user too when it is as long as a token. Some hosts take a token as the login
 * (`login ghp_…`, `password x-oauth-basic`); a shorter login is a name (`git`, `x-access-token`),
 * and masking it would mask that word wherever the log says it.
 */
function secretParts(value: string): string[] {
  const [scheme, token] = value.split(/\s+/, 2)
  if (!token) return []
  if (scheme?.toLowerCase() !== 'basic') return [token]
  const pair = Buffer.from(token, 'base64').toString('utf8')
  const colon = pair.indexOf(':')
  if (colon < 0) return [token]
  const user = pair.slice(0, colon)
  return [token, pair.slice(colon + 1), ...(user.length >= TOKEN_LIKE_LOGIN ? [user] : [])]
}

/** The shortest login masked: longer than the names hosts document for token logins (`gitlab-ci-token`, 15). */
const TOKEN_LIKE_LOGIN = 16

/** The .netrc's text ('' when there is none); anything but a regular file is refused, never waited on. */
function readOptional(file: string): string {
  try {
    return readSettingsFile(file)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw new Error(`cannot read ${file} (GOAUTH=netrc): ${(e as Error).message}`, { cause: e })
  }
}
