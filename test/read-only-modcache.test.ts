// A module cache on a read-only file system (a runner image's pre-filled cache mounted read-only,
// say): when all of it matches go.sum the step works from it; when a tree does not match, the
// step cannot remove it, go would build with it, and the step stops at once with an error that
// names the tree and why, instead of a bare EROFS. Needs root (a tmpfs mounted, then remounted
// read-only).
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escapePath } from '../src/module/path.ts'
import { processesWithEnv, runBundled } from './support/action.ts'
import { go, offlineGoEnv } from './support/go.ts'
import { healthy, type ProxyServer, startProxy } from './support/proxy-server.ts'
import { makeUniverse, type Module, type Universe } from './support/universe.ts'

let universe: Universe
let server: ProxyServer
const mounts: string[] = []

/** A new tmpfs, or undefined where this process may not mount one. */
function mounted(): string | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ro-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', dir], { stdio: 'ignore' })
  } catch {
    return undefined
  }
  mounts.push(dir)
  return dir
}

const canMount = (() => {
  if (process.getuid?.() !== 0) return false
  const dir = mounted()
  return dir !== undefined
})()

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 3 })
  server = await startProxy(universe.proxyDir, healthy)
})

afterAll(async () => {
  await server?.close()
  for (const dir of mounts) execFileSync('umount', ['-l', dir], { stdio: 'ignore' })
})

/** A module cache go filled, on a file system then made read-only; `change` runs on it first. */
async function readOnlyModcache(change: (modcache: string) => void = () => {}): Promise<string> {
  const mount = mounted() as string
  const modcache = path.join(mount, 'modcache')
  mkdirSync(modcache)
  await go(['mod', 'download'], universe.sampleDir, { ...offlineGoEnv(modcache), GOPROXY: `file://${universe.proxyDir}` })
  change(modcache)
  execFileSync('mount', ['-o', 'remount,ro', mount])
  return modcache
}

const runStep = (modcache: string) =>
  runBundled(
    process.execPath,
    { proxies: server.url, 'working-directory': 'sample', 'probe-timeout': '2s', 'stall-timeout': '10s', timeout: '60s', retries: '2', 'protect-later-steps': 'false' },
    path.dirname(universe.sampleDir),
    offlineGoEnv(modcache)
  )

describe.skipIf(!canMount)('a read-only module cache', () => {
  it('that matches go.sum: the step works from it and asks no proxy anything', async () => {
    const modcache = await readOnlyModcache()
    const before = server.requests.length

    const run = await runStep(modcache)

    expect(run.exitCode, run.log).toBe(0)
    expect(server.requests.length).toBe(before)
    expect(run.summary).toMatch(/all match/)
  })

  it('holding a tree that does not match go.sum: the step stops at once, before any request, naming the tree and why', async () => {
    const m = universe.modules[1] as Module
    const tree = (modcache: string) => path.join(modcache, `${escapePath(m.path)}@${m.version}`)
    const modcache = await readOnlyModcache(dir => {
      const file = path.join(tree(dir), `${m.pkg}.go`)
      chmodSync(file, 0o644)
      writeFileSync(file, readFileSync(file, 'utf8').replace('return "', 'return "tampered '))
    })
    const before = server.requests.length

    const run = await runStep(modcache)

    expect(run.exitCode).toBe(1)
    expect(run.log).toContain(
      `::error::The module cache holds what go.sum does not vouch for, and the step cannot remove it, so go would use it as it is: ${m.path} ${m.version} (extracted tree does not match go.sum): ${tree(modcache)} cannot be removed: the module cache is on a read-only file system (EROFS); make it writable for this step, or repair it where it is written.`
    )
    expect(run.log).not.toMatch(/::error::EROFS/)
    expect(server.requests.length).toBe(before)
    // No attempt: no retry can write a read-only file system.
    expect(run.log).not.toContain('go mod download')
    expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
  })
})
