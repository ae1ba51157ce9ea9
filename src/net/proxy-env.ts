// Which forward proxy a request goes through, by the rules go applies (net/http's
// ProxyFromEnvironment, golang.org/x/net/http/httpproxy): HTTP_PROXY for http URLs,
// HTTPS_PROXY for https, NO_PROXY exceptions, and never a proxy for localhost or a loopback IP.
import net from 'node:net'
import { domainToASCII } from 'node:url'

export type Env = Record<string, string | undefined>

export interface ProxyChoice {
  /** The proxy's URL, credentials included (they go in Proxy-Authorization). */
  url: URL
  /** The variable it came from, for people: HTTPS_PROXY, http_proxy… */
  from: string
}

export interface ProxyRules {
  http?: ProxyChoice
  https?: ProxyChoice
  /** REQUEST_METHOD is set: go refuses HTTP_PROXY there (golang.org/s/cgihttpproxy). */
  cgi: boolean
  /** True when NO_PROXY exempts this host:port (lower-case host, port always given). */
  exempt: (host: string, port: string, ip: boolean) => boolean
}

/** The first non-empty of the names, as go reads them: upper case before lower case. */
function firstSet(env: Env, names: string[]): { value: string; from: string } | undefined {
  for (const name of names) {
    const value = env[name]
    if (value) return { value, from: name }
  }
  return undefined
}

const PROXY_SCHEMES = new Set(['http:', 'https:', 'socks5:', 'socks5h:'])

/** httpproxy's parseProxy: a value without a known scheme is read as http://value. */
export function parseProxyUrl(value: string): URL | undefined {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (url && PROXY_SCHEMES.has(url.protocol)) return url
  try {
    return new URL(`http://${value}`)
  } catch {
    return undefined
  }
}

export function proxyRules(env: Env): ProxyRules {
  const choice = (names: string[]): ProxyChoice | undefined => {
    const set = firstSet(env, names)
    const url = set && parseProxyUrl(set.value)
    return set && url ? { url, from: set.from } : undefined
  }
  const http = choice(['HTTP_PROXY', 'http_proxy'])
  const https = choice(['HTTPS_PROXY', 'https_proxy'])
  return {
    ...(http ? { http } : {}),
    ...(https ? { https } : {}),
    cgi: Boolean(env.REQUEST_METHOD),
    exempt: noProxyMatcher(firstSet(env, ['NO_PROXY', 'no_proxy'])?.value ?? '')
  }
}

export class CgiProxyError extends Error {
  constructor() {
    super('refusing to use HTTP_PROXY value in CGI environment (REQUEST_METHOD is set), as go does')
    this.name = 'CgiProxyError'
  }
}

/** The proxy go would use for `url`, or undefined for a direct connection. Throws where go refuses. */
export function proxyFor(rules: ProxyRules, url: URL): ProxyChoice | undefined {
  // In go's order: the scheme's proxy (and the CGI refusal) first, the exemptions after.
  const proxy = url.protocol === 'https:' ? rules.https : url.protocol === 'http:' ? rules.http : undefined
  if (proxy && url.protocol === 'http:' && rules.cgi) throw new CgiProxyError()
  if (!proxy) return undefined
  const host = bareHost(url.hostname).toLowerCase()
  if (host === '') return proxy
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  const ip = net.isIP(host) !== 0
  if (host === 'localhost' || (ip && isLoopback(host))) return undefined
  return rules.exempt(host, port, ip) ? undefined : proxy
}

const bareHost = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host)

/** go's net.IP.IsLoopback: 127.0.0.0/8, ::1, and 127.0.0.0/8 mapped into IPv6 in any spelling (a URL's parser writes `[::ffff:127.0.0.1]` as `[::ffff:7f00:1]`). */
const LOOPBACK = new net.BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')

function isLoopback(ip: string): boolean {
  return LOOPBACK.check(ip, net.isIPv6(ip) ? 'ipv6' : 'ipv4')
}

/** Whether `host` (a name or an address) is this machine's loopback only: `localhost`, or a loopback address as go counts them. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || (net.isIP(host) !== 0 && isLoopback(host))
}

/** One text form per address, so `0:0::1` and `::1` compare equal (as net.IP.Equal does). */
function normalizeIp(ip: string): string {
  return new net.SocketAddress({ address: ip, family: net.isIPv6(ip) ? 'ipv6' : 'ipv4' }).address
}

/** net.SplitHostPort for a NO_PROXY entry: `host:port`, `[v6]:port`; undefined when there is no port. */
function splitHostPort(entry: string): { host: string; port: string } | undefined {
  if (entry.startsWith('[')) {
    const end = entry.indexOf(']')
    if (end < 0 || entry[end + 1] !== ':') return undefined
    return { host: entry.slice(1, end), port: entry.slice(end + 2) }
  }
  const colon = entry.indexOf(':')
  if (colon < 0 || entry.indexOf(':', colon + 1) >= 0) return undefined
  return { host: entry.slice(0, colon), port: entry.slice(colon + 1) }
}

type Matcher = (host: string, port: string, ip: boolean) => boolean

/** NO_PROXY as httpproxy reads it: `*`, CIDRs, IPs (with or without a port), and domains. */
export function noProxyMatcher(noProxy: string): Matcher {
  const ipMatchers: Matcher[] = []
  const domainMatchers: Matcher[] = []
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase()
    if (entry === '') continue
    if (entry === '*') return () => true
    const cidr = parseCidr(entry)
    if (cidr) {
      ipMatchers.push((host, _port, ip) => ip && cidr.check(host, net.isIPv6(host) ? 'ipv6' : 'ipv4'))
      continue
    }
    const split = splitHostPort(entry)
    if (split && split.host === '') continue
    const host = split?.host ?? entry
    const port = split?.port ?? ''
    if (net.isIP(host)) {
      const want = normalizeIp(host)
      ipMatchers.push((candidate, candidatePort, ip) => ip && normalizeIp(candidate) === want && (port === '' || port === candidatePort))
      continue
    }
    if (host === '') continue
    // foo.com matches foo.com and bar.foo.com; .foo.com and *.foo.com only bar.foo.com.
    const name = host.startsWith('*.') ? host.slice(1) : host
    const matchHost = !name.startsWith('.')
    const bare = matchHost ? name : name.slice(1)
    const suffix = `.${[...bare].some(c => c.charCodeAt(0) > 0x7f) ? domainToASCII(bare) || bare : bare}`
    domainMatchers.push(
      (candidate, candidatePort) =>
        (candidate.endsWith(suffix) || (matchHost && candidate === suffix.slice(1))) && (port === '' || port === candidatePort)
    )
  }
  return (host, port, ip) => (ip && ipMatchers.some(m => m(host, port, ip))) || domainMatchers.some(m => m(host, port, ip))
}

function parseCidr(entry: string): net.BlockList | undefined {
  const slash = entry.indexOf('/')
  if (slash < 0) return undefined
  const address = entry.slice(0, slash)
  const bits = entry.slice(slash + 1)
  const family = net.isIP(address)
  if (family === 0 || !/^\d+$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) return undefined
  const list = new net.BlockList()
  list.addSubnet(address, Number(bits), family === 4 ? 'ipv4' : 'ipv6')
  return list
}
