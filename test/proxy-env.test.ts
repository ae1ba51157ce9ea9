// The forward proxy the action picks must be the one go picks: compared, case by case, with
// net/http's ProxyFromEnvironment in a real go binary (test/cache-server/proxyfor) under the
// same environment.
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { CgiProxyError, type Env, proxyFor, proxyRules } from '../src/net/proxy-env.ts'
import { tools } from './support/tools.ts'

const URLS = [
  'http://mod.example.com/m/@v/list',
  'https://mod.example.com/m/@v/list',
  'https://mod.example.com:8443/x',
  'http://localhost:8080/',
  'https://localhost/',
  'http://127.0.0.1:9/',
  'http://127.5.5.5/',
  'http://[::1]:3000/',
  'https://[::1]/',
  // Loopback mapped into IPv6, which a URL parser rewrites as [::ffff:7f00:1]; and a mapped address that is not loopback.
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:7f00:1]:8080/',
  'http://[::ffff:8.8.8.8]/',
  'http://internal.example.com/',
  'http://sub.internal.example.com/',
  'http://notinternal.example.com/',
  'http://INTERNAL.Example.com/',
  'http://corp.example.net/',
  'http://a.corp.example.net/',
  'http://wild.example.org/',
  'http://x.wild.example.org/',
  'http://10.1.2.3/',
  'http://11.1.2.3/',
  'http://192.168.1.5/',
  'http://192.168.1.5:8080/',
  'http://example.io:8443/',
  'https://example.io/',
  'https://example.io:8443/',
  'http://[2001:db8::1]/',
  'http://[2001:db9::1]/',
  'http://localhost.localdomain/'
]

const ENVS: Record<string, Env> = {
  'both proxies and a NO_PROXY of every kind': {
    HTTP_PROXY: 'http://proxy.example.com:3128',
    HTTPS_PROXY: 'https://secure-proxy.example.com',
    NO_PROXY: 'internal.example.com, .corp.example.net,*.wild.example.org,10.0.0.0/8,192.168.1.5:8080,example.io:8443,2001:db8::/32,,'
  },
  'lower-case names, a proxy without a scheme, a SOCKS proxy': { http_proxy: 'proxy.example.com:3128', https_proxy: 'socks5://socks.example.com:1080' },
  'upper case wins over lower case': { HTTP_PROXY: 'http://upper.example.com:1', http_proxy: 'http://lower.example.com:2', HTTPS_PROXY: '', https_proxy: 'http://lower.example.com:3' },
  'NO_PROXY=*': { HTTP_PROXY: 'http://proxy.example.com:3128', HTTPS_PROXY: 'http://proxy.example.com:3128', no_proxy: '*' },
  'a CGI environment (REQUEST_METHOD set)': { HTTP_PROXY: 'http://proxy.example.com:3128', HTTPS_PROXY: 'http://proxy.example.com:3128', REQUEST_METHOD: 'GET' },
  'only HTTPS_PROXY, with credentials': { HTTPS_PROXY: 'http://user:p%40ss@proxy.example.com:8080' },
  'an IP proxy without a scheme, NO_PROXY with an IP and ports': { HTTPS_PROXY: '10.9.8.7:3128', HTTP_PROXY: '10.9.8.7:3128', NO_PROXY: '192.168.1.5,[2001:db8::1]:80,example.io' }
}

/** What go prints: the proxy URL, `direct`, or `error: …`. */
function goChoices(env: Env, urls = URLS): string[] {
  const clean = { PATH: process.env.PATH ?? '', ...Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)) }
  return execFileSync(tools.proxyFor, urls, { env: clean, encoding: 'utf8' }).trim().split('\n')
}

function ourChoice(env: Env, url: string): string {
  try {
    const choice = proxyFor(proxyRules(env), new URL(url))
    return choice ? choice.url.href : 'direct'
  } catch (e) {
    return `error: ${(e as Error).message}`
  }
}

const comparable = (answer: string) => (answer === 'direct' ? answer : answer.startsWith('error: ') ? 'error' : new URL(answer).href)

describe.each(Object.entries(ENVS))('the forward proxy for each URL, with %s', (_, env) => {
  it('is the one go picks', () => {
    const go = goChoices(env).map(comparable)
    const ours = URLS.map(url => comparable(ourChoice(env, url)))
    expect(URLS.map((url, i) => `${url} → ${ours[i]}`)).toEqual(URLS.map((url, i) => `${url} → ${go[i]}`))
  })
})

describe('proxyRules', () => {
  it('names the variable a proxy came from', () => {
    const rules = proxyRules({ https_proxy: 'proxy.example.com:3128' })
    expect(proxyFor(rules, new URL('https://mod.example.com'))).toMatchObject({ from: 'https_proxy' })
    expect(proxyFor(rules, new URL('https://mod.example.com'))?.url.href).toBe('http://proxy.example.com:3128/')
  })
})

/** Corners of httpproxy: NO_PROXY entries go skips or reads its own way, ports, IPv6 and IDN hosts, proxy values it reparses. */
const CORNER_URLS = [
  'http://host.example.com/',
  'http://host.example.com:80/',
  'http://host.example.com:8080/',
  'https://host.example.com/',
  'https://host.example.com:443/',
  'http://EXAMPLE.IO/',
  'http://xn--bcher-kva.example/',
  'http://sub.xn--bcher-kva.example/',
  'http://10.0.0.1/',
  'http://10.255.255.255:8080/',
  'http://11.0.0.0/',
  'http://192.168.0.1/',
  'http://[::ffff:10.1.2.3]/',
  'http://[2001:db8::1]/',
  'http://[2001:db8::1]:8080/',
  'http://[2001:db8:ffff::1]/',
  'http://[fe80::1]/',
  'http://[fe80::1]:8080/',
  'http://[::2]/',
  'http://[2001:db8::2]/',
  'http://localhost./',
  'http://10.0.0.0/',
  'http://localhost.example/',
  'ftp://files.example.com/'
]

const CORNER_ENVS: Record<string, Env> = {
  'NO_PROXY entries that are malformed, or CIDRs and IPs in every form': {
    HTTP_PROXY: 'http://proxy.example.com:3128',
    HTTPS_PROXY: 'http://proxy.example.com:3128',
    NO_PROXY: '10.0.0.0/33, 192.168.0.0/x,11.0.0.0/08,::2/129,fe80::/10,[2001:db8::1]:8080,:8080,a:b:c, EXAMPLE.IO ,host.example.com:,[2001:db8:ffff::1],[bad'
  },
  'NO_PROXY with ports, a bracketed IPv6 without one, an IDN domain': {
    HTTP_PROXY: 'http://proxy.example.com:3128',
    HTTPS_PROXY: 'http://proxy.example.com:3128',
    NO_PROXY: 'host.example.com:443,[2001:db8::1],bücher.example,10.0.0.1:80'
  },
  'NO_PROXY of hosts by port alone, default ports included': {
    HTTP_PROXY: 'http://proxy.example.com:3128',
    HTTPS_PROXY: 'http://proxy.example.com:3128',
    NO_PROXY: 'host.example.com:80,10.255.255.255:8080,[fe80::1]:8080'
  },
  'a proxy value without a scheme, a SOCKS proxy resolving names itself': { HTTP_PROXY: 'relay.example.com:21', HTTPS_PROXY: 'socks5h://socks.example.com:1080' },
  'a proxy value that is no URL': { HTTP_PROXY: 'http://[bad', HTTPS_PROXY: '%zz' },
  'a CGI environment, https only': { HTTPS_PROXY: 'http://proxy.example.com:3128', REQUEST_METHOD: 'POST' },
  'CIDRs at their limits, an IPv6 address not in its shortest form': {
    HTTP_PROXY: 'http://proxy.example.com:3128',
    NO_PROXY: '10.0.0.0/x8,10.0.0.0/8x,192.168.0.1/32,2001:db8:ffff::/48,2001:DB8:0:0::2'
  },
  'NO_PROXY entries with a path or a query, which go compares as written': {
    HTTP_PROXY: 'http://proxy.example.com:3128',
    NO_PROXY: 'host.example.com/x,example.io?y,10.0.0.0/33,localhost.example/8'
  }
}

describe.each(Object.entries(CORNER_ENVS))('the forward proxy for each corner URL, with %s', (_, env) => {
  it('is the one go picks', () => {
    const go = goChoices(env, CORNER_URLS).map(comparable)
    const ours = CORNER_URLS.map(url => comparable(ourChoice(env, url)))
    expect(CORNER_URLS.map((url, i) => `${url} → ${ours[i]}`)).toEqual(CORNER_URLS.map((url, i) => `${url} → ${go[i]}`))
  })
})

describe('proxyFor in a CGI environment', () => {
  it('refuses HTTP_PROXY for an http URL with go’s reason, as its own error', () => {
    const rules = proxyRules({ HTTP_PROXY: 'http://proxy.example.com:3128', REQUEST_METHOD: 'GET' })
    expect(() => proxyFor(rules, new URL('http://mod.example.com/'))).toThrow(CgiProxyError)
    expect(() => proxyFor(rules, new URL('http://mod.example.com/'))).toThrow(
      expect.objectContaining({ name: 'CgiProxyError', message: 'refusing to use HTTP_PROXY value in CGI environment (REQUEST_METHOD is set), as go does' })
    )
  })
})
