// The npm package as a user gets it: `npm pack`, the tarball installed into an empty folder with
// no registry to reach (the bundles carry every dependency), the command run from there.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.ts'
import { offlineGoEnv, tempModcache } from './support/go.ts'
import { closedPort, healthy, type ProxyServer, startProxy } from './support/proxy-server.ts'
import { makeUniverse, moduleCacheHas, type Universe } from './support/universe.ts'

const exec = promisify(execFile)
const ROOT = path.join(import.meta.dirname, '..')
const { name } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string }

let tarball: string
let npmEnv: Record<string, string | undefined>
let installed: string
let files: string[]
let universe: Universe
let silent: ProxyServer
let good: ProxyServer

beforeAll(async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'pack-'))
  // npm from this Node's installation; a registry that refuses every connection: nothing may be fetched.
  const registry = `http://127.0.0.1:${await closedPort()}/`
  npmEnv = { ...process.env, npm_config_registry: registry, npm_config_cache: path.join(out, 'npm-cache'), npm_config_update_notifier: 'false' }
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', out], { cwd: ROOT, env: npmEnv })
  const packed = (JSON.parse(stdout) as { filename: string; files: { path: string }[] }[])[0] as { filename: string; files: { path: string }[] }
  tarball = path.join(out, packed.filename)
  files = packed.files.map(f => f.path).sort()
  installed = mkdtempSync(path.join(os.tmpdir(), 'installed-'))
  writeFileSync(path.join(installed, 'package.json'), JSON.stringify({ name: 'a-user', version: '1.0.0', private: true }))
  await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: installed, env: npmEnv })
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'pack-universe-')), { count: 3 })
  silent = await startProxy(universe.proxyDir, { kind: 'hang' })
  good = await startProxy(universe.proxyDir, healthy)
}, 120_000)

afterAll(async () => {
  await Promise.all([silent?.close(), good?.close()])
})

describe('the npm package', () => {
  it('holds what runs, and no sources, tests, scripts or fixtures', () => {
    expect(files).toContain('dist/cli.js')
    expect(files).toContain('package.json')
    expect(files.filter(f => !/^(dist\/[\w.-]+|package\.json|README\.md|LICENSE|CHANGELOG\.md)$/.test(f))).toEqual([])
    expect(files.filter(f => /^(src|test|scripts|docs|node_modules)\/|\.ts$|fixture/i.test(f))).toEqual([])
  })

  it('installed from the tarball alone, the command runs: --help', async () => {
    const bin = path.join(installed, 'node_modules', '.bin', 'go-mod-download')
    const { stdout } = await exec(bin, ['--help'], { cwd: installed })
    expect(stdout).toContain('go-mod-download serve [flags]')
    expect(stdout).toContain('Exit codes:')
  })

  it('from a clone, npx runs it with no registry', async () => {
    const { stdout } = await exec('npx', ['--offline', 'go-mod-download', '--help'], { cwd: ROOT, env: npmEnv })
    expect(stdout).toContain('go-mod-download serve [flags]')
  })

  it('installed, it downloads past a silent first candidate', async () => {
    const modcache = tempModcache()
    const cli = path.join(installed, 'node_modules', name, 'dist', 'cli.js')
    const run = await runCli(['--proxies', `${silent.url},${good.url}`, '--probe-timeout', '1s', '--stall-timeout', '2s', '--json'], universe.sampleDir, offlineGoEnv(modcache), cli)
    expect(run.code, run.stderr).toBe(0)
    expect((JSON.parse(run.stdout) as { chosen: string }).chosen).toBe(good.url)
    for (const module of universe.modules) expect(moduleCacheHas(modcache, module), module.path).toBe(true)
  })
})
