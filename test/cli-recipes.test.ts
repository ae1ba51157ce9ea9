// docs/cli.md's Docker recipes, their halves that run without a container: the host's verified
// download cache handed to a plain go as GOPROXY=file://…, and (test/cli-serve.test.ts) serve
// reached by a plain go given only its GOPROXY line. No image is built here: none can be pulled.
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { processesWithEnv } from './support/action.ts'
import { CLI, runCli } from './support/cli.ts'
import { go, goBinary, offlineGoEnv, tempModcache } from './support/go.ts'
import { closedPort, healthy, type ProxyServer, startProxy } from './support/proxy-server.ts'
import { makeUniverse, moduleCacheHas, type Universe } from './support/universe.ts'

let universe: Universe
let silent: ProxyServer
let good: ProxyServer

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'recipes-universe-')), { count: 4 })
  silent = await startProxy(universe.proxyDir, { kind: 'hang' })
  good = await startProxy(universe.proxyDir, healthy)
})

afterAll(async () => {
  await Promise.all([silent?.close(), good?.close()])
})

describe('the Docker recipe with a build context', () => {
  it("the host downloads verified; the build's go, given only its download cache as GOPROXY=file://, downloads and builds with no proxy", async () => {
    const host = tempModcache()
    const run = await runCli(['--proxies', `${silent.url},${good.url}`, '--probe-timeout', '1s', '--stall-timeout', '2s'], universe.sampleDir, offlineGoEnv(host))
    expect(run.code, run.stderr).toBe(0)
    const requestsBefore = good.requests.length + silent.requests.length

    // The build: its own copy of the source, its own empty module cache, the host's cache/download as the context.
    const context = path.join(mkdtempSync(path.join(os.tmpdir(), 'build-context-')), 'gomod')
    cpSync(path.join(host, 'cache', 'download'), context, { recursive: true })
    const source = path.join(mkdtempSync(path.join(os.tmpdir(), 'build-src-')), 'app')
    cpSync(universe.sampleDir, source, { recursive: true })
    const build = tempModcache()
    // -modcacherw only so that the test can remove the module cache it made; the recipe needs no flag.
    const env = { ...offlineGoEnv(build), GOFLAGS: '-modcacherw', GOPROXY: `file://${context}` }
    await go(['mod', 'download'], source, env)
    await go(['build', './...'], source, env)
    for (const module of universe.modules) expect(moduleCacheHas(build, module), module.path).toBe(true)
    // Nothing was asked of any proxy by the build.
    expect(good.requests.length + silent.requests.length).toBe(requestsBefore)
  })
})

/** The first ```sh block after `heading` in `file` (a path from the repository's root). */
function shBlock(file: string, heading: string): string {
  const text = readFileSync(path.join(import.meta.dirname, '..', file), 'utf8')
  const at = text.indexOf(heading)
  expect(at, `${file}: ${heading}`).toBeGreaterThan(-1)
  const m = /```sh\n([\s\S]*?)```/.exec(text.slice(at))
  return (m?.[1] ?? '').replace(/^npm install .*$/m, '')
}

// docker as the recipe's command line reaches it: its words kept, and its build's go run the
// way a Dockerfile with `ARG GOPROXY` runs it (a --build-arg NAME takes its value from docker's
// environment, as docker's does).
const DOCKER = `#!/bin/bash
printf '%s\\n' "$@" > "$RECIPE_OUT/argv"
value=
while [ $# -gt 0 ]; do
  if [ "$1" = --build-arg ]; then
    case "$2" in GOPROXY=*) value="\${2#GOPROXY=}" ;; GOPROXY) value="$GOPROXY" ;; esac
    shift
  fi
  shift
done
printf '%s' "$value" > "$RECIPE_OUT/goproxy"
[ -n "$value" ] && GOPROXY="$value" go mod download
echo $? > "$RECIPE_OUT/go-exit"
`

describe.skipIf(process.platform === 'win32')('the Docker recipe with serve on the host', () => {
  it.each([
    ['docs/cli.md', '### For a Docker build: `serve` on the host'],
    ['README.md', '### In a Docker build']
  ])('%s: the build gets the URL, and the secret path is on no command line (anyone on the machine reads those)', async (file, heading) => {
    const port = await closedPort()
    const recipe = shBlock(file, heading).replaceAll('127.0.0.1:7070', `127.0.0.1:${port}`)
    const bin = mkdtempSync(path.join(os.tmpdir(), 'recipe-bin-'))
    const out = mkdtempSync(path.join(os.tmpdir(), 'recipe-out-'))
    writeFileSync(path.join(bin, 'go-mod-download'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 })
    writeFileSync(path.join(bin, 'docker'), DOCKER, { mode: 0o755 })
    // The candidates come from go env GOPROXY, as the recipe has it: here from a go env file, so that nothing else sets GOPROXY in docker's environment.
    const goenv = path.join(out, 'goenv')
    writeFileSync(goenv, `GOPROXY=${good.url}\n`)
    const modcache = tempModcache()
    const offline: Record<string, string> = offlineGoEnv(modcache)
    delete offline.GOPROXY
    const env = { PATH: `${bin}${path.delimiter}${path.dirname(goBinary())}${path.delimiter}${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '', ...offline, GOENV: goenv, RECIPE_OUT: out }
    const { stdout, stderr } = await promisify(execFile)('bash', ['-c', recipe], { cwd: universe.sampleDir, env, timeout: 60_000 }).catch((e: { stdout: string; stderr: string }) => e)
    const goproxy = readFileSync(path.join(out, 'goproxy'), 'utf8')
    const secret = /^http:\/\/127\.0\.0\.1:\d+\/([\w-]{24})$/.exec(goproxy)?.[1]
    expect(secret, `${goproxy}\n${stdout}\n${stderr}`).toBeDefined()
    // The build's go got every module through it; serve was stopped.
    expect(readFileSync(path.join(out, 'go-exit'), 'utf8').trim(), stderr).toBe('0')
    for (const module of universe.modules) expect(moduleCacheHas(modcache, module), module.path).toBe(true)
    expect(processesWithEnv(`RECIPE_OUT=${out}`)).toEqual([])
    expect(readFileSync(path.join(out, 'argv'), 'utf8')).not.toContain(secret as string)
  })
})
