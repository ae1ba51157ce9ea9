// download on a terminal: a live progress line on stderr, redrawn in place, cleared before any other line.
// The terminal is a real pseudo-terminal (util-linux's script), the run a real process.
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI } from './support/cli.ts'
import { offlineGoEnv, tempModcache } from './support/go.ts'
import { healthy, type ProxyServer, startProxy } from './support/proxy-server.ts'
import { makeUniverse, moduleCacheHas, type Universe } from './support/universe.ts'

let universe: Universe
let slow: ProxyServer

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'cli-tty-universe-')), { count: 4 })
  // Every answer 800 ms late: go's attempt lasts well over a second however early the fetch asks
  // for the zips (at 300 ms it once ended in 0.46 s), so the line, drawn every 250 ms, is drawn several times.
  slow = await startProxy(universe.proxyDir, healthy, { latencyMs: 800 })
})

afterAll(async () => {
  await slow?.close()
})

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`

describe('download on a terminal', () => {
  it('draws a live progress line (files, bytes, rate, the candidate), redrawn in place and cleared before the next line', async () => {
    const modcache = tempModcache()
    const command = [process.execPath, CLI, '--proxies', slow.url, '--probe-timeout', '5s'].map(quote).join(' ')
    const { stdout } = await promisify(execFile)('script', ['-qefc', command, '/dev/null'], {
      cwd: universe.sampleDir,
      env: { PATH: process.env.PATH ?? '', HOME: os.homedir(), TERM: 'xterm', ...offlineGoEnv(modcache) }
    })
    for (const module of universe.modules) expect(moduleCacheHas(modcache, module), module.path).toBe(true)
    // Each drawing starts a fresh line, or clears the one before it (\r, then ESC [2K).
    // eslint-disable-next-line no-control-regex -- the terminal's own escape is what is looked for
    const drawn = [...stdout.matchAll(/(?:\r\n|\r\x1b\[2K)(\d+ files, [\d.]+ [KM]iB, [\d.]+ [KM]iB\/s, from http:\/\/127\.0\.0\.1:\d+ \([\d.]+m?s\))/g)].map(m => m[1])
    expect(drawn.length, JSON.stringify(stdout)).toBeGreaterThan(1)
    expect(drawn.at(-1)).toContain(`from ${slow.url}`)
    // Every drawing is cleared before the next line is written; the summary starts a line of its own.
    const last = stdout.lastIndexOf(drawn.at(-1) as string) + (drawn.at(-1) as string).length
    expect(stdout.slice(last, last + 5)).toBe('\r\x1b[2K')
    expect(stdout).toMatch(/\r\n✅ Go modules ready: 4 downloaded/)
  })
})
