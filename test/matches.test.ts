// Whether bytes a candidate sent are what go.sum vouches for: a .mod and a .zip by their h1:
// hashes, an .info by the version it names; and the stricter rule for a cache entry's .info (only
// what go writes). Real files in a temporary directory, hashes computed as go's dirhash does
// (gosum.test.ts holds them against go's); no go, no network.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { infoProblem, verify } from '../src/module/matches.ts'
import { goModHash, hash1 } from '../src/module/gosum.ts'
import { MAX_BYTES } from '../src/module/limits.ts'
import type { FileJob, FileKind } from '../src/module/vouched.ts'

const dir = mkdtempSync(path.join(os.tmpdir(), 'matches-'))
const write = (name: string, data: string | Uint8Array) => {
  const file = path.join(dir, name)
  writeFileSync(file, data)
  return file
}

const MODULE = 'example.com/m'
const VERSION = 'v1.2.3'
const GO_MOD = 'module example.com/m\n\ngo 1.21\n'
const FILES = { 'go.mod': GO_MOD, 'm.go': 'package m\n\nfunc Name() string { return "m" }\n' }
const zipOf = (files: Record<string, string>) => zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [`${MODULE}@${VERSION}/${name}`, Buffer.from(text)])))
/** go.sum's hash of a module zip: dirhash's Hash1 over its files' names and contents. */
const zipHash = (files: Record<string, string>) =>
  hash1(Object.entries(files).map(([name, text]) => ({ name: Buffer.from(`${MODULE}@${VERSION}/${name}`), sha256Hex: createHash('sha256').update(text).digest('hex') })))

const job = (kind: FileKind, hash?: string, version = VERSION): FileJob => ({ module: MODULE, version, kind, path: `${MODULE}/@v/${version}.${kind}`, maxBytes: MAX_BYTES.zip, ...(hash === undefined ? {} : { hash }) })

const modFile = write('good.mod', GO_MOD)
const otherModFile = write('other.mod', `${GO_MOD}require example.com/evil v1.0.0\n`)
const zipFile = write('good.zip', zipOf(FILES))
const tamperedZipFile = write('tampered.zip', zipOf({ ...FILES, 'm.go': FILES['m.go'].replace('"m"', '"tampered"') }))
const infoFile = write('good.info', JSON.stringify({ Version: VERSION, Time: '2024-01-01T00:00:00Z' }))
const missing = path.join(dir, 'missing')

describe('verify: a .mod', () => {
  it('matches go.sum’s /go.mod hash, or says it does not', async () => {
    expect(await verify(job('mod', goModHash(Buffer.from(GO_MOD))), modFile)).toBeUndefined()
    expect(await verify(job('mod', goModHash(Buffer.from(GO_MOD))), otherModFile)).toBe('go.mod does not match go.sum')
  })

  it('without a hash (go.sum does not name it) is go’s to check', async () => {
    expect(await verify(job('mod'), otherModFile)).toBeUndefined()
  })

  it('that cannot be read is reported, not taken', async () => {
    expect(await verify(job('mod', 'h1:x='), missing)).toMatch(/^mod unreadable: ENOENT/)
  })
})

// The file is a new one in a shared module cache, named by its path: another user of the cache
// can put something else in its place before it is read. A read that waited on a FIFO would
// hold the fetch's thread for good, so each check runs in a node of its own, killed after 10 s.
describe.skipIf(process.platform === 'win32')('verify: what was put in the file\'s place', () => {
  const inChild = (kind: FileKind, file: string) =>
    spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `import { verify } from ${JSON.stringify(path.join(import.meta.dirname, '../src/module/matches.ts'))}; console.log(await verify(${JSON.stringify(job(kind, kind === 'mod' ? 'h1:x=' : undefined))}, ${JSON.stringify(file)}))`],
      { encoding: 'utf8', timeout: 10_000 }
    )

  it.each(['mod', 'info'] as const)('a FIFO where the .%s was is refused at once, never waited on for a writer', kind => {
    const fifo = path.join(dir, `fifo.${kind}`)
    execFileSync('mkfifo', [fifo])
    const started = performance.now()
    const child = inChild(kind, fifo)
    expect(child.stdout.trim()).toBe(`${kind} unreadable: a FIFO, not a regular file`)
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('a symlink where the .mod was is refused, its target never read', async () => {
    const link = path.join(dir, 'link.mod')
    symlinkSync(modFile, link)
    expect(await verify(job('mod', goModHash(Buffer.from(GO_MOD))), link)).toBe('mod unreadable: a symlink, not a regular file')
  })

  it('a .mod larger than the job allows is refused unread', async () => {
    expect(await verify({ ...job('mod', goModHash(Buffer.from(GO_MOD))), maxBytes: 8 }, modFile)).toBe('mod unreadable: larger than 8 bytes')
  })
})

describe('verify: a .zip', () => {
  it('matches go.sum’s hash of its files, or says it does not', async () => {
    expect(zipHash(FILES)).toMatch(/^h1:/)
    expect(await verify(job('zip', zipHash(FILES)), zipFile)).toBeUndefined()
    expect(await verify(job('zip', zipHash(FILES)), tamperedZipFile)).toBe('zip does not match go.sum')
    expect(await verify(job('zip', zipHash(FILES)), modFile)).toMatch(/^zip unreadable: /)
  })

  it('is hashed by the hasher given, awaited', async () => {
    const asked: string[] = []
    const hasher = async (file: string) => {
      asked.push(file)
      await new Promise(resolve => setTimeout(resolve, 1))
      return 'h1:given='
    }
    expect(await verify(job('zip', 'h1:given='), zipFile, hasher)).toBeUndefined()
    expect(await verify(job('zip', 'h1:other='), zipFile, hasher)).toBe('zip does not match go.sum')
    expect(asked).toEqual([zipFile, zipFile])
  })

  it('without a hash is go’s to check: not even read', async () => {
    expect(await verify(job('zip'), missing, () => Promise.reject(new Error('read')))).toBeUndefined()
  })
})

describe('verify: an .info', () => {
  it('names the version asked for, or says which it names', async () => {
    expect(await verify(job('info'), infoFile)).toBeUndefined()
    expect(await verify(job('info', undefined, 'v2.0.0'), infoFile)).toBe('.info names v1.2.3, not v2.0.0')
    expect(await verify(job('info'), write('noversion.info', '{"Time":"2024-01-01T00:00:00Z"}'))).toBe('.info names undefined, not v1.2.3')
    expect(await verify(job('info'), write('number.info', '{"Version":1}'))).toBe('.info names 1, not v1.2.3')
  })

  it('that is not JSON, or cannot be read, is reported', async () => {
    expect(await verify(job('info'), modFile)).toMatch(/^info unreadable: /)
    expect(await verify(job('info'), missing)).toMatch(/^info unreadable: ENOENT/)
  })
})

describe('verify: anything else', () => {
  it('is go’s to check: not read', async () => {
    expect(await verify(job('other', 'h1:x='), missing, () => Promise.reject(new Error('read')))).toBeUndefined()
  })
})

describe('infoProblem: a cache entry’s .info', () => {
  const time = '2024-01-01T00:00:00Z'
  const problem = (info: unknown) => infoProblem(JSON.stringify(info), VERSION)

  it('is go’s own: a version, a time and maybe an origin of go’s string fields', () => {
    expect(problem({ Version: VERSION, Time: time })).toBeUndefined()
    const origin = { VCS: 'git', URL: 'https://example.com/r', Subdir: 'm', Hash: 'abc', TagPrefix: 'm/', TagSum: 't1:x', Ref: 'refs/tags/m/v1.2.3', RepoSum: 'r1:x' }
    expect(problem({ Version: VERSION, Time: time, Origin: origin })).toBeUndefined()
  })

  it('needs a time that reads as one', () => {
    expect(problem({ Version: VERSION })).toBe('.info has no time')
    expect(problem({ Version: VERSION, Time: 'yesterday' })).toBe('.info has no time')
    expect(problem({ Version: VERSION, Time: 1704067200 })).toBe('.info has no time')
    // A number is no time go writes, even one Date.parse would read as a year.
    expect(problem({ Version: VERSION, Time: 2024 })).toBe('.info has no time')
  })

  it('names each field go does not write', () => {
    expect(problem({ Version: VERSION, Time: time, Token: 'x', Key: 'y' })).toBe('.info holds what go does not write (Token, Key)')
    expect(problem({ Version: VERSION, Time: time, Origin: { URL: 'u', Key: 'k', Hash: 1 } })).toBe('.info holds what go does not write (Key, Hash)')
    expect(problem({ Version: VERSION, Time: time, Origin: null })).toBe('.info holds what go does not write (Origin)')
    expect(problem({ Version: VERSION, Time: time, Origin: ['VCS'] })).toBe('.info holds what go does not write (Origin)')
  })

  it('is a JSON object naming the version', () => {
    expect(infoProblem('null', VERSION)).toBe('.info is not a JSON object')
    expect(infoProblem('"v1.2.3"', VERSION)).toBe('.info is not a JSON object')
    expect(infoProblem('[]', VERSION)).toBe('.info is not a JSON object')
    expect(infoProblem('{', VERSION)).toBe('.info is not JSON')
    expect(problem({ Version: 'v1.2.4', Time: time })).toBe('.info names "v1.2.4", not v1.2.3')
    expect(problem({ Time: time })).toBe('.info names undefined, not v1.2.3')
  })
})
