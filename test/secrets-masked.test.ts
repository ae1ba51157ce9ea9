// Every credential the step learns is registered with the runner as a secret (`::add-mask::`)
// before anything could print it: the runner then masks it wherever it appears in the log,
// go's own error text included, which the action does not control. Credentials in a
// candidate's URL, in a .netrc (GOAUTH), and in a forward proxy's URL.
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { closedPort, healthy, proxyPool } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
const proxies = proxyPool(() => universe.proxyDir)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 2 })
})
afterEach(proxies.closeAll)

/** Whether the log registers `secret` (`::add-mask::<secret>`, its data escaped as a workflow command's is) before any other line holds it. */
function maskedBeforeShown(log: string, secret: string): boolean {
  const lines = log.split('\n')
  const mask = lines.indexOf(`::add-mask::${secret.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}`)
  const shown = lines.findIndex(l => l.includes(secret) && !l.startsWith('::add-mask::'))
  return mask >= 0 && (shown < 0 || mask < shown)
}

describe('credentials are registered as secrets', () => {
  it('a candidate’s, a .netrc’s and a forward proxy’s, each before any other line holds it', async () => {
    const candidateSecret = 'cand-s3cret-7Q'
    const netrcSecret = 'n3trc-s3cret-7Q'
    const forwardSecret = 'fwd-s3cret-7Q'
    // A candidate with credentials in its URL (nothing listens there: refused at its probe).
    const locked = `https://ci:${candidateSecret}@127.0.0.1:${await closedPort()}`
    const good = await proxies.start(healthy)
    const dir = mkdtempSync(path.join(os.tmpdir(), 'netrc-'))
    const netrc = path.join(dir, '.netrc')
    // A token given as the login, as some hosts take it, is a secret too; a short login is a name.
    const loginToken = 'ghp_l0gin7Qt0ken000000000000000000000'
    writeFileSync(netrc, `machine private.example.com\n  login netrcbot\n  password ${netrcSecret}\nmachine token.example.com login ${loginToken} password x-oauth-basic\n`)
    // go never sends loopback requests through a forward proxy: this one is never asked, yet its credentials are known.
    const forward = `http://alice:${forwardSecret}@127.0.0.1:${await closedPort()}`
    const run = await runScenario(universe, { proxies: `${locked}\n${good.url}` }, {
      env: { NETRC: netrc, GOAUTH: 'netrc', HTTP_PROXY: forward, HTTPS_PROXY: forward, NO_PROXY: '' }
    })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    const basicToken = Buffer.from(`netrcbot:${netrcSecret}`).toString('base64')
    for (const secret of [candidateSecret, netrcSecret, basicToken, forwardSecret, loginToken]) {
      expect(maskedBeforeShown(run.log, secret), secret).toBe(true)
    }
    expect(run.log).not.toMatch(/^::add-mask::netrcbot$/m)
    // And nowhere else in what the step wrote.
    const unmasked = [run.log.replace(/^::add-mask::.*$/gm, ''), run.summary, JSON.stringify(run.outputs), JSON.stringify(run.exported), run.state].join('\n')
    for (const secret of [candidateSecret, netrcSecret, forwardSecret, loginToken]) expect(unmasked).not.toContain(secret)
  })

  it('a user name as go prints it, escaped its own way (to!ken as to%21ken), before any other line holds it', async () => {
    // go's error lines show a URL redacted, the user name kept: https://to%21ken:xxxxx@host/…
    const locked = `https://to!ken(7Q)*:pw-s3cret-7Q@127.0.0.1:${await closedPort()}`
    const good = await proxies.start(healthy)
    const run = await runScenario(universe, { proxies: `${locked}\n${good.url}` })
    expect(run.failed, run.log).toBe(false)
    for (const secret of ['to!ken(7Q)*', 'to%21ken%287Q%29%2A', 'pw-s3cret-7Q']) expect(maskedBeforeShown(run.log, secret), secret).toBe(true)
  })

  it.each([
    ['pa\\s3cret-7Q', 'contains a backslash'],
    ['pa s3cret\\7Q', 'contains a space or a control character']
  ])('a refused proxies entry’s, its password %j: the error quotes the entry redacted, after the masks', async (password, problem) => {
    const userinfo = `usr7Q:${password}`
    const run = await runScenario(universe, { proxies: `https://${userinfo}@host.example` })
    expect(run.failed).toBe(true)
    expect(run.log).toContain(`Input "proxies": "https://***@host.example" ${problem}`)
    for (const secret of [userinfo, 'usr7Q', password]) expect(maskedBeforeShown(run.log, secret), secret).toBe(true)
    const unmasked = [run.log.replace(/^::add-mask::.*$/gm, ''), run.summary, JSON.stringify(run.outputs), JSON.stringify(run.exported), run.state].join('\n')
    for (const part of ['usr7Q', 's3cret']) expect(unmasked).not.toContain(part)
  })
})
