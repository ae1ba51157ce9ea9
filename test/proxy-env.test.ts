// The forward proxy the action picks must be the one go picks: compared, case by case, with
// net/http's ProxyFromEnvironment in a real go binary (test/cache-server/proxyfor) under the
// same environment.
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { type Env, proxyFor, proxyRules } from '../src/net/proxy-env.ts'
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
function goChoices(env: Env): string[] {
  const clean = { PATH: process.env.PATH ?? '', ...Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)) }
  return execFileSync(tools.proxyFor, URLS, { env: clean, encoding: 'utf8' }).trim().split('\n')
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
