// Credentials in a candidate's URL, in every form people write them: a password with an
// unescaped @ (read as go reads it), a token as the user name with a dummy password, a token
// alone. A real run in process: the servers check what each request carries, and the log,
// the summary and the outputs are searched for every part of every userinfo.
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { healthy, type ProxyServer, proxyPool } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { type Authority, testAuthority } from './support/tls.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
let authority: Authority
const proxies = proxyPool(() => universe.proxyDir)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 3 })
  authority = testAuthority()
})
afterAll(() => proxies.closeAll())

// Each server requires exactly the credentials go reads from its URL.
const FORMS = [
  { userinfo: 'c1user:s3cr@t-pa55', user: 'c1user', password: 's3cr@t-pa55', parts: ['c1user', 's3cr@t-pa55', 's3cr%40t-pa55', 's3cr'] },
  { userinfo: 'ghp_T0kenValue123:x-oauth-basic', user: 'ghp_T0kenValue123', password: 'x-oauth-basic', parts: ['ghp_T0kenValue123', 'x-oauth-basic'] },
  { userinfo: 'tok3n-only-value', user: 'tok3n-only-value', password: '', parts: ['tok3n-only-value'] }
]

describe('credentials in candidate URLs', () => {
  let servers: ProxyServer[]
  beforeAll(async () => {
    servers = await Promise.all(FORMS.map(f => proxies.start(healthy, { tls: authority.issue(), basicAuth: `${f.user}:${f.password}` })))
  })

  it('reach each server as go reads them, and no part of any is shown in the log, the summary or the outputs', async () => {
    const urls = FORMS.map((f, i) => servers[i]!.url.replace('https://', `https://${f.userinfo}@`))
    const run = await runScenario(universe, { proxies: urls.join('\n'), selection: 'ordered' }, { env: { SSL_CERT_FILE: authority.certFile, SSL_CERT_DIR: '', NODE_EXTRA_CA_CERTS: '' } })
    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    // The action's probes and fetches, and go's downloads, sent what go reads: a server answers 401 to anything else.
    FORMS.forEach((f, i) => {
      const sent = servers[i]!.authorizations
      expect(sent.length, f.userinfo).toBeGreaterThan(0)
      expect(new Set(sent)).toEqual(new Set([`Basic ${Buffer.from(`${f.user}:${f.password}`).toString('base64')}`]))
    })
    expect(servers[0]!.requests.filter(r => r.endsWith('.zip')).length).toBeGreaterThanOrEqual(universe.modules.length)

    // The runner masks what the step registers: every part, as written and decoded.
    // (a workflow command's data escapes %, CR and LF; the runner reads them back)
    const masks = [...run.log.matchAll(/^::add-mask::(.*)$/gm)].map(m => (m[1] as string).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'))
    for (const f of FORMS) for (const part of [f.user, f.password].filter(Boolean)) expect(masks, part).toContain(part)
    expect(masks).toContain('s3cr%40t-pa55')

    const shown = { log: run.log.replace(/^::add-mask::.*$/gm, ''), summary: run.summary, outputs: JSON.stringify(run.outputs) }
    for (const [where, text] of Object.entries(shown)) for (const f of FORMS) for (const part of f.parts) expect(text, `${part} in the ${where}`).not.toContain(part)
    // Shown as scheme://***@host/path; go is given them as written.
    expect(run.outputs.proxy).toBe(servers[0]!.url.replace('https://', 'https://***@'))
    // The summary escapes the stars, so that they read as themselves rather than as emphasis.
    for (const server of servers) expect(run.summary).toContain(server.url.replace('https://', 'https://\\*\\*\\*@'))
    expect(run.exported.GOPROXY).toBe(urls.join('|'))
  })
})
