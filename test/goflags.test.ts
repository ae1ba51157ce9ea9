// GOFLAGS judged before any request, by the installed go itself: what it refuses is named, what
// it takes (however odd for an empty module) is left to the download.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { goflagsFields, goflagsProblem, missingModfile, refusedGoflags } from '../src/go/goflags.ts'
import { downloadEnv, extractsWritable } from '../src/download/attempt.ts'
import { classify } from '../src/download/classify.ts'
import { goBinary } from './support/go.ts'

const judge = (goflags: string) => goflagsProblem(goBinary(), goflags, { ...(process.env as Record<string, string>), GOFLAGS: '' })

describe('goflagsProblem', () => {
  it.each([
    ['-bogus', 'go: parsing $GOFLAGS: unknown flag -bogus'],
    ['-modcacherw notaflag', 'go: parsing $GOFLAGS: non-flag "notaflag"'],
    ["'-x", "go: parsing $GOFLAGS: unterminated ' string"],
    ['-modcacherw=maybe', 'go: invalid boolean value "maybe" for flag -modcacherw (from $GOFLAGS): parse error'],
    ['-mod=mod -json=3', 'go: invalid boolean value "3" for flag -json (from $GOFLAGS): parse error']
  ])('refuses %s with go’s words', async (goflags, said) => {
    expect(await judge(goflags)).toBe(said)
  })

  it.each(['', '-modcacherw', '-mod=mod -tags=a,b', '-race -trimpath', '-mod=vendor', '-modfile=other.mod', '-x'])(
    'takes %j: flags of other commands, and flags an empty module cannot honour, are the download’s to meet',
    async goflags => {
      expect(await judge(goflags)).toBeUndefined()
    }
  )

  it('leaves no folder behind', async () => {
    const mine = () => readdirSync(os.tmpdir()).filter(name => name.startsWith('go-mod-download-goflags-'))
    const before = mine()
    await judge('-bogus')
    expect(mine()).toEqual(before)
  })
})

describe('goflagsFields', () => {
  it.each([
    ['-x notaflag', ['-x', 'notaflag']],
    ["'-tags=a b' bad", ['-tags=a b', 'bad']],
    ['-tags=a b', ['-tags=a', 'b']],
    ['"-tags=a\tb"  \t c', ['-tags=a\tb', 'c']],
    ["'-x'y", ['-x', 'y']],
    ["-x\n'y z'", ['-x', 'y z']],
    ['  ', []]
  ])('%j splits as go splits it', async (goflags, fields) => {
    expect(goflagsFields(goflags)).toEqual(fields)
    // go's own reading, where it shows one: the first field that is no flag, quoted in its refusal.
    const nonFlag = fields.find(f => !f.startsWith('-'))
    if (nonFlag !== undefined) expect(await judge(goflags)).toBe(`go: parsing $GOFLAGS: non-flag ${JSON.stringify(nonFlag)}`)
  })

  it('an unterminated quote, which go refuses, ends the list', () => {
    expect(goflagsFields("-x '-tags=a b")).toEqual(['-x'])
  })

  it('a quoted flag keeps its quotes in the download’s GOFLAGS, and counts for -modcacherw', () => {
    expect(downloadEnv({}, 'off', "'-ldflags=-X a=b'").GOFLAGS).toBe("'-ldflags=-X a=b' -modcacherw")
    expect(downloadEnv({}, 'off', "  '-modcacherw=false'  ").GOFLAGS).toBe("'-modcacherw=false'")
    expect(extractsWritable("'-modcacherw=false'")).toBe(false)
    expect(missingModfile("'-modfile=no such.mod'", os.tmpdir())).toBe(`-modfile=no such.mod names no file in ${os.tmpdir()}`)
  })
})

describe('missingModfile', () => {
  it('names a -modfile that is not where go runs, the last one counting; passes one that is, and no -modfile', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'modfile-'))
    writeFileSync(path.join(dir, 'alt.mod'), 'module x\n')
    expect(missingModfile('-mod=mod -modfile=nonexist.mod', dir)).toBe(`-modfile=nonexist.mod names no file in ${dir}`)
    expect(missingModfile('--modfile=nonexist.mod -modfile=alt.mod', dir)).toBeUndefined()
    expect(missingModfile(`-modfile=${path.join(dir, 'alt.mod')}`, os.tmpdir())).toBeUndefined()
    expect(missingModfile('-mod=mod', dir)).toBeUndefined()
  })
})

describe('refusedGoflags', () => {
  it('finds go’s refusal among its other lines, and nothing in lines that only mention GOFLAGS', () => {
    expect(refusedGoflags('go: flag needs an argument: -reuse (from $GOFLAGS)\nusage: go mod download [-x]\n')).toBe('go: flag needs an argument: -reuse (from $GOFLAGS)')
    expect(refusedGoflags('go: invalid value "x" for flag -reuse (from %GOFLAGS%): bad\n')).toBe('go: invalid value "x" for flag -reuse (from %GOFLAGS%): bad')
    expect(refusedGoflags('go: example.com/m@v1.0.0: reading (from $GOFLAGS): 500\n')).toBeUndefined()
    expect(refusedGoflags('go: downloading example.com/m v1.0.0\n')).toBeUndefined()
  })

  it('a bad value go meets in the download stops the retries, as an unknown flag does', () => {
    const outcome = (line: string) => ({ exit: { code: 2, signal: null }, endedBy: 'exit' as const, errors: [line], waitingOn: [] })
    expect(classify(outcome('go: invalid boolean value "maybe" for flag -modcacherw (from $GOFLAGS): parse error'))).toMatchObject({ reason: 'invalid GOFLAGS', next: 'stop' })
  })
})

describe('goflagsProblem stays offline, out of the module cache, and bounded', () => {
  /** A project whose go.mod names a module, and a module cache holding its download-cache files. */
  function project(): { root: string; gomod: string; modcache: string } {
    const root = mkdtempSync(path.join(os.tmpdir(), 'goflags-project-'))
    const gomod = path.join(root, 'go.mod')
    writeFileSync(gomod, 'module proj\n\ngo 1.20\n\nrequire example.com/m v1.0.0\n')
    return { root, gomod, modcache: path.join(root, 'modcache') }
  }

  it('an absolute -modfile naming private modules: go fetches nothing direct (a silent forward proxy on loopback sees no connection)', async () => {
    const { root, gomod, modcache } = project()
    const connections: net.Socket[] = []
    const silent = net.createServer(socket => connections.push(socket))
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as net.AddressInfo
    try {
      const env = { ...(process.env as Record<string, string>), GOMODCACHE: modcache, GOPRIVATE: 'example.com', HTTPS_PROXY: `http://127.0.0.1:${port}`, HTTP_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: '', GIT_TERMINAL_PROMPT: '0' }
      const started = performance.now()
      expect(await goflagsProblem(goBinary(), `-modfile=${gomod}`, env, 5000)).toBeUndefined()
      expect(connections).toHaveLength(0)
      expect(performance.now() - started).toBeLessThan(4000)
    } finally {
      for (const socket of connections) socket.destroy()
      silent.close()
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('an absolute -modfile: nothing of the module cache is extracted, not even through a link out of it', async () => {
    const { root, gomod, modcache } = project()
    const zipDir = path.join(modcache, 'cache', 'download', 'example.com', 'm', '@v')
    mkdirSync(zipDir, { recursive: true })
    // go trusts a zip whose .ziphash matches go.sum; the action checks it only after the GOFLAGS check.
    writeFileSync(path.join(zipDir, 'v1.0.0.zip'), zipOf({ 'example.com/m@v1.0.0/go.mod': 'module example.com/m\n', 'example.com/m@v1.0.0/m.go': 'package m\n' }))
    writeFileSync(path.join(zipDir, 'v1.0.0.mod'), 'module example.com/m\n')
    writeFileSync(path.join(zipDir, 'v1.0.0.info'), '{"Version":"v1.0.0"}\n')
    const outside = path.join(root, 'outside')
    mkdirSync(outside)
    symlinkSync(outside, path.join(modcache, 'example.com'))
    try {
      const env = { ...(process.env as Record<string, string>), GOMODCACHE: modcache, GOSUMDB: 'off', GONOSUMDB: '', GOPRIVATE: '', GONOPROXY: '' }
      expect(await goflagsProblem(goBinary(), `-modfile=${gomod} -mod=mod`, env, 5000)).toBeUndefined()
      expect(readdirSync(outside)).toEqual([])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('a go that never ends (an -overlay that is a FIFO) is killed at the bound, and the flags are left to the download', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'goflags-fifo-'))
    const fifo = path.join(root, 'overlay.json')
    execFileSync('mkfifo', [fifo])
    try {
      const started = performance.now()
      expect(await goflagsProblem(goBinary(), `-overlay=${fifo}`, process.env as Record<string, string>, 1000)).toBeUndefined()
      expect(performance.now() - started).toBeLessThan(4000)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  }, 15_000)
})

/** A zip of the given files, as go's own Unzip reads them. */
const zipOf = (files: Record<string, string>) => Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, Buffer.from(text)]))))
