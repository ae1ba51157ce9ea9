// A candidate that lacks a module is not a faulty one. go's own rule for GOPROXY entries
// (modfetch): a 404 or 410 means "not here, ask the next", and is no fault of the entry. The
// fetch must apply the same rule as it asks the candidates, and the watchdog must not count
// such an answer as a failed request (which would move the candidate behind the others).
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { downloadPath } from '../src/module/request.ts'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { makeUniverse, type Module, type Universe } from './support/universe.ts'

let universe: Universe
/** The universe's proxy layout without one module's zip: a mirror that lacks it. */
let lacking: string
let missing: Module
let missingZip: string
const proxies = proxyPool(() => universe.proxyDir)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 4 })
  missing = universe.modules[2] as Module
  missingZip = `/${downloadPath(missing.path, missing.version, 'zip')}`
  lacking = path.join(mkdtempSync(path.join(os.tmpdir(), 'lacking-')), 'proxy')
  cpSync(universe.proxyDir, lacking, { recursive: true })
  rmSync(path.join(lacking, missingZip))
})
afterEach(proxies.closeAll)

const asked = (requests: string[], file: string) => requests.filter(r => r === file).length
/** go's -x lines for requests it sent to `url` itself. */
const goAsked = (log: string, url: string) => log.split('\n').filter(l => l.startsWith(`# get ${url}/`))

describe('a first candidate that lacks one module (404), a second that has it', () => {
  it('the fetch moves the request on to the second: go gets every module from the local proxy, and the first stays first', async () => {
    const partial = await proxies.start(healthy, {}, lacking)
    const whole = await proxies.start(healthy)
    const run = await runScenario(universe, { proxies: `${partial.url}\n${whole.url}` })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    // Asked once by the fetch, which then asked the second: go itself never had to fall through.
    expect(asked(partial.requests, missingZip)).toBe(1)
    expect(asked(whole.requests, missingZip)).toBe(1)
    expect(goAsked(run.log, partial.url)).toEqual([])
    expect(goAsked(run.log, whole.url)).toEqual([])
    expect(run.exported.GOPROXY).toBe(`${partial.url}|${whole.url}`)
    expect(run.log).not.toMatch(/goes (last|behind the others) in the exported GOPROXY/)
  })

  it('without the prefetch, go falls through to the second for it, and the first is not moved behind for its 404', async () => {
    const partial = await proxies.start(healthy, {}, lacking)
    const whole = await proxies.start(healthy)
    const run = await runScenario(universe, { proxies: `${partial.url}\n${whole.url}`, prefetch: 'false' })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    expect(run.outputs.attempts).toBe('1')
    // go asked the first, got its 404, and took the zip from the second.
    expect(run.log).toMatch(new RegExp(`^# get ${partial.url}${missingZip}: 404 `, 'm'))
    expect(run.log).toMatch(new RegExp(`^# get ${whole.url}${missingZip}: 200 `, 'm'))
    expect(asked(whole.requests, missingZip)).toBe(1)
    expect(whole.requests.filter(r => r.endsWith('.zip'))).toEqual([missingZip])
    // A 404 is how a proxy says it lacks a module: no reason to ask the second first from now on.
    expect(run.exported.GOPROXY).toBe(`${partial.url}|${whole.url}`)
    expect(run.outputs.proxy).toBe(partial.url)
    expect(run.log).not.toContain('answered some requests with errors')
  })
})
