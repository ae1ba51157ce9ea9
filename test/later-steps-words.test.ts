// A candidate's words relayed by the job's proxy (later steps, and the CLI's serve): when no
// candidate served a file, the proxy answers go 502 with why, and go quotes that body in its
// error. A later step's go writes straight to the job's log, where nothing defuses it, so the
// body must hold nothing a candidate wrote that the runner would read as a command: one
// line, its control characters shown (go drops a body that holds any). Real go, loopback servers.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { zipSync } from 'fflate'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { serveJobProxy, type ServingProxy } from '../src/later/serve.ts'
import { parseGoSum } from '../src/module/gosum.ts'
import { goBinary, offlineGoEnv, tempModcache } from './support/go.ts'
import { type HostileProxy, startHostileProxy } from './support/hostile-proxy.ts'
import { readAsRunner } from './support/runner-commands.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
const open: { close: () => Promise<void> }[] = []

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'later-words-universe-')), { count: 2 })
})

afterEach(async () => {
  for (const o of open.splice(0)) await o.close()
})

async function jobProxy(candidate: HostileProxy): Promise<ServingProxy> {
  const proxy = await serveJobProxy({
    candidates: [{ spec: candidate.url, latencyMs: 1 }],
    sumLines: parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8')),
    goauth: 'off',
    secret: 'later-words-secret',
    stallTimeoutMs: 3000,
    timeoutMs: 60_000,
    workDir: mkdtempSync(path.join(os.tmpdir(), 'later-words-'))
  })
  open.push(proxy)
  return proxy
}

/** A later step's `go mod download`, given only the job's proxy: its output, as the runner reads it. */
function laterStep(url: string): Promise<string> {
  return new Promise(resolve => {
    execFile(goBinary(), ['mod', 'download'], { cwd: universe.sampleDir, timeout: 60_000, env: { ...process.env, ...offlineGoEnv(tempModcache()), GOPROXY: url } }, (_error, stdout, stderr) => resolve(stdout + stderr))
  })
}

const INJECTED = '::error title=from the candidate::injected'

/** A module zip with an entry named `name` that claims more bytes than it holds: the check quotes its name. */
function zipQuoting(name: string): Buffer {
  const zip = Buffer.from(zipSync({ [name]: Buffer.from('package x\n') }))
  const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
  zip.writeUInt32LE(999, central + 24)
  return zip
}

/** A later step's output, through the job's proxy, when its only candidate answers `request` with `answer`. */
async function laterStepWhenAnswered(request: string, answer: { status: number; contentType: string; body: string | Buffer }): Promise<string> {
  const candidate = await startHostileProxy(universe.proxyDir, request, answer)
  open.push(candidate)
  return laterStep((await jobProxy(candidate)).url)
}

describe('a candidate’s words in the job’s proxy’s answer to go', () => {
  it('an .info whose Version holds a line break and a workflow command: go’s error, as the runner reads it, runs no command', async () => {
    const module = universe.modules[1]!
    const output = await laterStepWhenAnswered(`/${module.path}/@v/v1.0.0.info`, { status: 200, contentType: 'application/json', body: JSON.stringify({ Version: `v9.9.9\n${INJECTED}\nx` }) })
    // go did quote the proxy's answer (the test would prove nothing otherwise).
    expect(output, output).toContain('no candidate served')
    expect(readAsRunner(output).commands, output).toEqual([])
  })

  it('a zip whose entry name holds a line break and a workflow command, and a command the runner finds anywhere in a line: the same', async () => {
    const module = universe.modules[1]!
    const name = `${module.path}@v1.0.0/x\n${INJECTED}\nthe runner reads ##[warning]this too.go`
    const output = await laterStepWhenAnswered(`/${module.path}/@v/v1.0.0.zip`, { status: 200, contentType: 'application/zip', body: zipQuoting(name) })
    expect(output, output).toContain('no candidate served')
    expect(readAsRunner(output).commands, output).toEqual([])
  })

  it('a reason longer than go shows (648 bytes on a line): cut short, so that go shows its beginning rather than nothing', async () => {
    const module = universe.modules[1]!
    const name = `${module.path}@v1.0.0/${'ü'.repeat(400)}.go`
    const output = await laterStepWhenAnswered(`/${module.path}/@v/v1.0.0.zip`, { status: 200, contentType: 'application/zip', body: zipQuoting(name) })
    expect(output, output).toContain('no candidate served')
    expect(output, output).toContain('üüü…')
    expect(output, output).not.toContain('[Truncated: too long.]')
  })
})
