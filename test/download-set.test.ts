// The action's download set against go's own: for each project shape, the real
// `go mod download -x` runs against a loopback proxy, and the .mod, .info and .zip files it
// requested must be exactly those the plan names.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { downloadPath } from '../src/module/request.ts'
import { parseGoMod, parseGoWork } from '../src/go/gomod.ts'
import { readProject, resolveDownloads } from '../src/fetch/resolve.ts'
import { go, offlineGoEnv, tempModcache } from './support/go.ts'
import { E, MODULES } from './support/graph-modules.ts'
import { goModText, packageSource, writeGraphUniverse } from './support/graph-universe.ts'
import { type ProxyServer, startProxy } from './support/proxy-server.ts'

let root: string
let proxyDir: string
let proxy: ProxyServer

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'download-set-'))
  proxyDir = path.join(root, 'proxy')
  writeGraphUniverse(proxyDir, MODULES)
  proxy = await startProxy(proxyDir)
})
afterAll(() => proxy.close())

/** A main module importing the packages of `requires`; go mod tidy writes its go.mod and go.sum. */
async function project(name: string, goVersion: string, requires: string[], extra = ''): Promise<string> {
  const dir = path.join(root, name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'go.mod'), goModText(`example.com/main/${name}`, goVersion, requires) + extra)
  writeFileSync(path.join(dir, 'main.go'), packageSource(`example.com/main/${name}`, requires).replace(/^package \w+/, 'package main') + '\nfunc main() { Name() }\n')
  await go(['mod', 'tidy'], dir, { ...offlineGoEnv(path.join(root, 'tidy-cache')), GOPROXY: `file://${proxyDir}`, GOFLAGS: '-mod=mod', GOWORK: 'off' })
  return dir
}

/** The proxy files go itself requested for `go mod download`, from -x. */
async function goFetches(dir: string, env: Record<string, string> = {}): Promise<string[]> {
  const modcache = tempModcache()
  const { execFile } = await import('node:child_process')
  const stderr = await new Promise<string>((resolve, reject) =>
    execFile(
      'go',
      ['mod', 'download', '-x'],
      { cwd: dir, env: { ...process.env, ...offlineGoEnv(modcache), GOPROXY: proxy.url, GOWORK: 'off', ...env } },
      (error, _stdout, err) => (error ? reject(new Error(err)) : resolve(err))
    )
  )
  const fetched = [...stderr.matchAll(/^# get \S+?\/(example\.com\/\S+\.(?:mod|zip|info)): 200/gm)].map(m => m[1] as string)
  return [...new Set(fetched)].sort()
}

async function planned(dir: string, gowork = ''): Promise<string[]> {
  const input = await readProject(dir, gowork)
  const plan = await resolveDownloads(input, async m => readFileSync(path.join(proxyDir, downloadPath(m.path, m.version, 'mod')), 'utf8'))
  expect(plan.unresolved).toEqual([])
  const files = [
    ...plan.graphMods.map(m => downloadPath(m.path, m.version, 'mod')),
    ...plan.downloads.flatMap(m => (['info', 'mod', 'zip'] as const).map(kind => downloadPath(m.path, m.version, kind)))
  ]
  return [...new Set(files)].sort()
}

describe('the download set equals what go mod download fetches', () => {
  it('a pruned module (go 1.21), with an unpruned dependency inside', async () => {
    const dir = await project('pruned', '1.21', [`${E}/a@v1.0.0`, `${E}/p@v1.0.0`])
    // go.sum keeps lines of modules go no longer needs (an older build list's): never fetched.
    const fake = 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='
    writeFileSync(path.join(dir, 'go.sum'), readFileSync(path.join(dir, 'go.sum'), 'utf8') + `${E}/b v1.1.0 ${fake}\n${E}/b v1.1.0/go.mod ${fake}\n`)
    const ours = await planned(dir)
    expect(ours).toEqual(await goFetches(dir))
    expect(ours.filter(f => f.startsWith(`${E}/b/@v/v1.1.0`))).toEqual([])
    // q is required by pruned p only: go reads neither its .mod nor its zip.
    expect(ours.filter(f => f.startsWith(`${E}/q/`))).toEqual([])
    expect(ours.filter(f => f.startsWith(`${E}/r/`))).toEqual([`${E}/r/@v/v1.0.0.mod`])
    expect(ours.filter(f => f.endsWith('.zip'))).toHaveLength(8)
  })

  it('a module before go 1.17: the whole graph, every module of the build list', async () => {
    const dir = await project('unpruned', '1.16', [`${E}/u1@v1.0.0`])
    expect(parseGoMod(readFileSync(path.join(dir, 'go.mod'), 'utf8')).require.map(r => r.path)).toEqual([`${E}/u1`])
    const ours = await planned(dir)
    expect(ours).toEqual(await goFetches(dir))
    // u2 and u4 provide no package of the build, yet before 1.17 go downloads the whole build list.
    expect(ours.filter(f => f.endsWith('.zip'))).toEqual(['u1', 'u2', 'u3', 'u4'].map(u => `${E}/${u}/@v/v1.0.0.zip`))
  })

  it('replace: a module by another module, and a module by a local directory', async () => {
    const dir = await project('replaced', '1.21', [`${E}/a@v1.0.0`])
    const local = path.join(dir, 'local-c')
    mkdirSync(local, { recursive: true })
    writeFileSync(path.join(local, 'go.mod'), goModText(`${E}/c`, '1.16', [`${E}/e@v1.0.0`]))
    writeFileSync(path.join(local, 'c.go'), packageSource(`${E}/c`, [`${E}/e@v1.0.0`]))
    writeFileSync(path.join(dir, 'go.mod'), readFileSync(path.join(dir, 'go.mod'), 'utf8') + `\nreplace ${E}/b => ${E}/bfork v1.5.0\n\nreplace ${E}/c => ./local-c\n`)
    await go(['mod', 'tidy'], dir, { ...offlineGoEnv(path.join(root, 'tidy-cache')), GOPROXY: `file://${proxyDir}`, GOFLAGS: '-mod=mod', GOWORK: 'off' })
    const ours = await planned(dir)
    expect(ours).toEqual(await goFetches(dir))
    expect(ours).toContain(`${E}/bfork/@v/v1.5.0.zip`)
    expect(ours.some(f => f.startsWith(`${E}/c/`) && f.endsWith('.zip'))).toBe(false)
  })

  it('exclude: requirements on an excluded version are dropped', async () => {
    // c (go 1.16, loaded with its closure) requires e v1.0.0, which is excluded: go never reads its .mod.
    const dir = await project('excluded', '1.21', [`${E}/c@v1.1.0`, `${E}/e@v1.1.0`], `\nexclude ${E}/e v1.0.0\n`)
    const ours = await planned(dir)
    expect(ours).toEqual(await goFetches(dir))
    expect(ours).not.toContain(`${E}/e/@v/v1.0.0.mod`)
  })

  it('a go.work workspace: the build list of all its modules', async () => {
    const one = await project('ws-one', '1.21', [`${E}/a@v1.0.0`])
    await project('ws-two', '1.21', [`${E}/x@v1.0.0`])
    const work = path.join(root, 'go.work')
    writeFileSync(work, `go 1.21\n\nuse (\n\t./ws-one\n\t./ws-two\n)\n`)
    const ours = await planned(one, work)
    expect(ours).toEqual(await goFetches(one, { GOWORK: work }))
  })

  it('a go.work replacement by a directory: resolved from go.work’s own directory, not a module’s', async () => {
    const dir = await project('ws-replaced', '1.21', [`${E}/a@v1.0.0`])
    const root = path.join(dir, '..', 'ws-replaced-root')
    mkdirSync(path.join(root, 'local-c'), { recursive: true })
    writeFileSync(path.join(root, 'local-c', 'go.mod'), goModText(`${E}/c`, '1.16', [`${E}/e@v1.0.0`]))
    writeFileSync(path.join(root, 'local-c', 'c.go'), packageSource(`${E}/c`, [`${E}/e@v1.0.0`]))
    const work = path.join(root, 'go.work')
    writeFileSync(work, `go 1.21\n\nuse ${path.relative(root, dir)}\n\nreplace ${E}/c => ./local-c\n`)
    const ours = await planned(dir, work)
    expect(ours).toEqual(await goFetches(dir, { GOWORK: work }))
    expect(ours.some(f => f.startsWith(`${E}/c/`))).toBe(false)
  })
})

describe('go.mod and go.work parsing', () => {
  it('reads blocks, single lines, comments and quoted paths', () => {
    const mod = parseGoMod('module "example.com/m" // the module\n\ngo 1.22.1\ntoolchain go1.23.0\n\nrequire example.com/a v1.0.0\nrequire (\n\texample.com/b v1.2.0 // indirect\n)\nexclude example.com/b v1.1.0\nreplace (\n\texample.com/c v1.0.0 => example.com/d v1.1.0\n\texample.com/e => ../e\n)\n')
    expect(mod).toEqual({
      module: 'example.com/m',
      go: '1.22.1',
      toolchain: 'go1.23.0',
      require: [{ path: 'example.com/a', version: 'v1.0.0' }, { path: 'example.com/b', version: 'v1.2.0' }],
      exclude: [{ path: 'example.com/b', version: 'v1.1.0' }],
      replace: [
        { from: { path: 'example.com/c', version: 'v1.0.0' }, to: { path: 'example.com/d', version: 'v1.1.0' } },
        { from: { path: 'example.com/e' }, to: { path: '../e' } }
      ]
    })
    expect(parseGoWork('go 1.22\nuse ./a\nuse (\n\t./b\n\t"./c d"\n)\n').use).toEqual(['./a', './b', './c d'])
  })
})
