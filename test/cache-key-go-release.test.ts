// The module cache's key holds no Go version: an entry holds module zips, .mod and .info files
// and trees extracted from them, none of which depends on the Go release, so a runner whose go
// is a new release restores the entry an older go saved. Only one Go is installed here: the
// newer release is the real go behind a wrapper whose `go env` reports go1.99.0 (a stub of the
// one thing that cannot exist here, another Go release; every command still runs the real go).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readGoEnv } from '../src/go/goenv.ts'
import { goBinary, tempModcache } from './support/go.ts'
import { healthy } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { cacheWorld } from './support/cache-world.ts'

const NEWER = 'go1.99.0'
const world = cacheWorld(3)
const { proxies, services } = world

/** A directory whose `go` is the real go reporting GOVERSION=go1.99.0. */
function newerGoDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'newer-go-'))
  writeFileSync(
    path.join(dir, 'go'),
    [
      '#!/bin/sh',
      `echo "$*" >> ${path.join(dir, 'calls')}`,
      `if [ "$1" = env ]; then out=$(${goBinary()} "$@") || exit $?; printf '%s\\n' "$out" | sed 's/"GOVERSION": "go[^"]*"/"GOVERSION": "${NEWER}"/'; exit 0; fi`,
      `exec ${goBinary()} "$@"`,
      ''
    ].join('\n')
  )
  chmodSync(path.join(dir, 'go'), 0o755)
  return dir
}

describe('the module cache key', () => {
  it('holds no Go version: zips, .mod files and extracted trees do not depend on it, so a new Go release restores the same entry', async () => {
    const newer = newerGoDir()
    const sample = world.universe.sampleDir
    expect((await readGoEnv(goBinary(), sample)).GOVERSION).not.toBe(NEWER)
    expect((await readGoEnv(path.join(newer, 'go'), sample)).GOVERSION).toBe(NEWER)

    const service = await services.start()
    const server = await proxies.start(healthy)
    const modcache = tempModcache()
    const older = await runScenario(world.universe, { proxies: server.url }, { modcache, env: service.env })
    expect(older.failed, older.log).toBe(false)
    expect(older.outputs['cache-key']).not.toMatch(/go1\.\d+/)
    expect((await service.entries()).map(e => e.key)).toEqual([older.outputs['cache-key']?.toLowerCase()])

    // The same runner path, emptied: a new runner, with the newer go first on PATH.
    rmSync(modcache, { recursive: true, force: true })
    const asked = server.requests.length
    const next = await runScenario(world.universe, { proxies: server.url }, { modcache, env: { ...service.env, PATH: `${newer}${path.delimiter}${process.env.PATH}` } })
    expect(next.failed, next.log).toBe(false)
    // The step read its Go version from the newer go.
    expect(readFileSync(path.join(newer, 'calls'), 'utf8')).toMatch(/^env -json .*GOVERSION/m)
    expect(next.outputs['cache-key']).toBe(older.outputs['cache-key'])
    expect(next.outputs['cache-hit']).toBe('true')
    expectComplete(modcache, world.universe.modules)
    expect(server.requests.slice(asked)).toEqual([])
  })
})
