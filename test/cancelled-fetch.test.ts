// A job cancelled while the fetch is writing into go's module cache: the runner sends the step
// SIGTERM (or SIGINT), and the step must leave none of its temporary files behind (the
// `*.partial` files bodies stream into, the `<module>@<version>.tmp-*` trees zips are written
// out into), nor any process.
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escapePath } from '../src/module/path.ts'
import { processesWithEnv, runBundled } from './support/action.ts'
import { offlineGoEnv, tempModcache } from './support/go.ts'
import { holdLock } from './support/lock-holder.ts'
import { type ProxyServer, startProxy } from './support/proxy-server.ts'
import { makeUniverse, type Module, type Universe } from './support/universe.ts'

let universe: Universe
let dripping: ProxyServer

beforeAll(async () => {
  // Sizes spread: two small modules, whose zips arrive at once, and two large, which take seconds at this rate.
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 4, sourceBytes: 'spread' })
  dripping = await startProxy(universe.proxyDir, { kind: 'drip', bytes: 1024, everyMs: 50, zipOnly: true })
})

afterAll(async () => {
  await dripping?.close()
})

/** Names the fetch gives its temporary files and trees. */
const OURS = /\.[0-9a-f]{12}-[0-9a-z]+\.partial$|\.tmp-[0-9a-f]{12}-[0-9a-z]+$/

function leftovers(dir: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (OURS.test(entry.name)) found.push(full)
    if (entry.isDirectory()) found.push(...leftovers(full))
  }
  return found
}

describe('a cancelled step', () => {
  it.each<[NodeJS.Signals, number]>([
    ['SIGTERM', 143],
    ['SIGINT', 130]
  ])('%s while zips stream in and a written-out tree waits for a lock: no temporary file or tree of the fetch is left, nor any process', async (signal, exitCode) => {
    const modcache = tempModcache()
    // Another process holds go's lock on a small module: its tree, written out, waits beside its place.
    const waiting = universe.modules[1] as Module
    const lockDir = path.join(modcache, 'cache', 'download', escapePath(waiting.path), '@v')
    mkdirSync(lockDir, { recursive: true })
    const holder = await holdLock(path.join(lockDir, `${waiting.version}.lock`))
    let step: ChildProcess | undefined
    let signalled: string | undefined
    const started = Date.now()
    const poll = setInterval(() => {
      if (!step || signalled) return
      const seen = leftovers(modcache)
      const treeWaits = seen.some(f => f.includes('.tmp-'))
      const streaming = seen.some(f => f.endsWith('.partial'))
      // A fetch that never keeps a tree waiting is cancelled mid-stream all the same.
      if (streaming && (treeWaits || Date.now() - started > 8_000)) {
        signalled = seen.join('\n')
        step.kill(signal)
      }
    }, 20)
    try {
      const run = await runBundled(
        process.execPath,
        { proxies: dripping.url, 'working-directory': 'sample', 'probe-timeout': '2s', 'stall-timeout': '60s', timeout: '120s', 'protect-later-steps': 'false' },
        path.dirname(universe.sampleDir),
        offlineGoEnv(modcache),
        (_, child) => {
          step = child
        }
      )
      expect(signalled, run.log).toBeDefined()
      expect(run.exitCode, run.log).toBe(exitCode)
      expect(leftovers(modcache)).toEqual([])
      expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
    } finally {
      clearInterval(poll)
      holder.release()
    }
  })
})
