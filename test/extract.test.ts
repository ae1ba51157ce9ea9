// The fetch writes each verified zip's files where go extracts them (zip-extract.ts): what go
// then finds must be what go's own extraction writes, file for file, mode for mode.
import { zipSync } from 'fflate'
import { randomBytes } from 'node:crypto'
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escapePath } from '../src/module/path.ts'
import { extractsWritable } from '../src/download/attempt.ts'
import { extractable, extractionPath } from '../src/fetch/zip-extract.ts'
import { hashZip } from '../src/fetch/zip-hash.ts'
import { go, offlineGoEnv, tempModcache } from './support/go.ts'
import { startGoOracle } from './support/go-oracle.ts'
import { healthy, type ProxyServer, startProxy } from './support/proxy-server.ts'
import { runScenario } from './support/scenario.ts'
import { makeUniverse, type Module, type Universe, writeSample } from './support/universe.ts'
import { centralRecord, endRecord, localRecord, ZipBytes, zip64End, zip64Locator } from './support/zip-records.ts'

describe('which zips are written out, and where', () => {
  const prefix = 'example.com/m@v1.0.0/'
  it('writes every file of a zip go would extract, and leaves to go any zip its checks could refuse', () => {
    const names = [`${prefix}go.mod`, `${prefix}a/b/c.go`, `${prefix}a/`, prefix, `${prefix}LICENSE`, `${prefix}.github/x.yml`, `${prefix}A.go`]
    const sized = (list: string[], size = 1) => list.map(name => ({ name, size }))
    expect(extractable(sized(names), prefix)).toBe(true)
    expect(names.map(name => extractionPath(name, prefix))).toEqual(['go.mod', 'a/b/c.go', undefined, undefined, 'LICENSE', '.github/x.yml', 'A.go'])
    for (const list of [
      ['example.com/other@v1.0.0/x.go'],
      [`${prefix}../x.go`],
      [`${prefix}a//x.go`],
      [`${prefix}./x.go`],
      [`${prefix}a\\x.go`],
      [`${prefix}/x.go`],
      [`${prefix}X.go`, `${prefix}x.go`],
      [`${prefix}a`, `${prefix}A/b.go`],
      [`${prefix}a/b.go`, `${prefix}A`],
      [`${prefix}sub/go.mod`],
      [`${prefix}GO.MOD`],
      // What go's CheckFilePath refuses: a character beyond its list, a trailing dot, a name Windows reserves.
      [`${prefix}a:b.go`],
      [`${prefix}a.`],
      [`${prefix}con.go`],
      [`${prefix}x/LPT1.txt`],
      // Directories that differ only in case collide in go, as files do.
      [`${prefix}A/x.go`, `${prefix}a/y.go`],
      [`${prefix}a/x.go`, `${prefix}A/`],
      // Beyond ASCII, go folds case as Unicode's simple folding (s and ſ are one name): left to go.
      [`${prefix}s.go`, `${prefix}ſ.go`],
      [`${prefix}é.go`]
    ]) {
      expect(extractable(sized(list), prefix), list.join(' ')).toBe(false)
    }
    // x/mod's zip.MaxGoMod and MaxLICENSE.
    expect(extractable([{ name: `${prefix}go.mod`, size: 16 << 20 }], prefix)).toBe(true)
    expect(extractable([{ name: `${prefix}go.mod`, size: (16 << 20) + 1 }], prefix)).toBe(false)
    expect(extractable([{ name: `${prefix}LICENSE`, size: (16 << 20) + 1 }], prefix)).toBe(false)
    expect(extractable([{ name: `${prefix}README`, size: (16 << 20) + 1 }], prefix)).toBe(true)
  })

  it('hashes a zip as go.sum does while writing its files, read-only, and writes nothing of a zip it leaves to go', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'extract-'))
    const zip = path.join(dir, 'm.zip')
    const large = randomBytes(400 << 10)
    writeFileSync(zip, zipSync({ [`${prefix}go.mod`]: Buffer.from('module example.com/m\n'), [`${prefix}a/b/c.go`]: Buffer.from('package b\n'), [`${prefix}empty`]: new Uint8Array(0), [`${prefix}big.bin`]: large }))
    const plain = await hashZip(zip)
    const written = await hashZip(zip, { root: dir, parent: 'tree', name: 'm@v1.0.0', prefix })
    expect(written.hash).toBe(plain.hash)
    expect(written.dirs).toEqual(['a/b', 'a', ''])
    const tree = path.join(dir, 'tree', 'm@v1.0.0')
    expect(readFileSync(path.join(tree, 'a/b/c.go'), 'utf8')).toBe('package b\n')
    expect(readFileSync(path.join(tree, 'big.bin')).equals(large)).toBe(true)
    expect(statSync(path.join(tree, 'empty')).size).toBe(0)
    expect(statSync(path.join(tree, 'go.mod')).mode & 0o777).toBe(0o444)
    const refused = await hashZip(zip, { root: dir, parent: '', name: 'refused', prefix: 'example.com/other@v1.0.0/' })
    expect(refused).toEqual({ hash: plain.hash })
    expect(readdirSync(dir).sort()).toEqual(['m.zip', 'tree'])
  })

  it("hashes a zip as go does, its names in go's byte order, not in the order the zip lists them or JavaScript sorts them", async () => {
    // ｚ (U+FF5A) sorts after 𝒜 (U+1D49C) in UTF-16 and before it in UTF-8; go sorts bytes.
    const names = ['𝒜.go', 'z.go', 'ｚ.go', 'é.go', 'go.mod', 'a/b.go', 'a.go', 'LICENSE', 'sub/dir/x.txt', 'empty']
    const dir = mkdtempSync(path.join(os.tmpdir(), 'byte-order-'))
    const files = Object.fromEntries(names.map((name, i) => [`${prefix}${name}`, name === 'empty' ? new Uint8Array(0) : Buffer.from(name === 'go.mod' ? 'module example.com/m\n' : `${name} ${i}\n`.repeat(i * 50))]))
    const zip = zipSync(files)
    const at = path.join(dir, 'proxy', escapePath('example.com/m'), '@v')
    mkdirSync(at, { recursive: true })
    writeFileSync(path.join(at, 'v1.0.0.zip'), zip)
    writeFileSync(path.join(at, 'v1.0.0.mod'), 'module example.com/m\n')
    writeFileSync(path.join(at, 'v1.0.0.info'), '{"Version":"v1.0.0"}')
    writeFileSync(path.join(at, 'list'), 'v1.0.0\n')
    const env = { ...offlineGoEnv(tempModcache()), GOPROXY: `file://${path.join(dir, 'proxy')}` }
    const { Sum } = JSON.parse(await go(['mod', 'download', '-json', 'example.com/m@v1.0.0'], dir, env)) as { Sum: string }
    expect(Sum).toMatch(/^h1:/)
    expect((await hashZip(path.join(at, 'v1.0.0.zip'))).hash).toBe(Sum)
    // Names beyond ASCII: hashed, and left to go to extract.
    expect(await hashZip(path.join(at, 'v1.0.0.zip'), { root: dir, parent: 'tree', name: 'm@v1.0.0', prefix })).toEqual({ hash: Sum })
  })

  it('refuses a zip whose end record claims a central directory larger than the zip, or more entries than it can hold, before reading it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'directory-claims-'))
    const whole = Buffer.from(zipSync({ [`${prefix}go.mod`]: Buffer.from('module example.com/m\n'), [`${prefix}a.go`]: Buffer.from('package a\n') }))
    const end = whole.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
    const claims = (edit: (record: Buffer) => void) => {
      const zip = Buffer.from(whole)
      edit(zip.subarray(end))
      const file = path.join(dir, `${Math.random()}.zip`)
      writeFileSync(file, zip)
      return file
    }
    // 4 GiB less a byte: read as claimed, it was allocated first and then found cut short.
    expect(() => hashZip(claims(record => record.writeUInt32LE(0xfffffffe, 12)))).toThrow('corrupt central directory: it runs past the end of the zip')
    expect(() => hashZip(claims(record => record.writeUInt16LE(2000, 10)))).toThrow(/corrupt central directory: \d+ bytes cannot hold 2000 entries/)
    expect(hashZip(claims(() => undefined)).hash).toMatch(/^h1:/)
  })

  it('refuses a zip whose directory holds 65,536 entries more than its end record counts: go reads them all, and extracts files the hash never saw', () => {
    // go reads directory entries until one is not there, then compares their count with the end
    // record's in 16 bits only: 2 + 65,536 entries pass as 2.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'directory-count-'))
    const legit: [string, Buffer][] = [[`${prefix}go.mod`, Buffer.from('module example.com/m\n')], [`${prefix}a.go`, Buffer.from('package m\n')]]
    const extra: [string, Buffer][] = [[`${prefix}evil.go`, Buffer.from('package m\n\nfunc init() { panic("injected") }\n')]]
    for (let i = 1; i < 0x10000; i++) extra.push([`${prefix}x/${i}`, Buffer.alloc(0)])
    writeFileSync(path.join(dir, 'legit.zip'), storedZip(legit))
    writeFileSync(path.join(dir, 'fflate.zip'), zipSync(Object.fromEntries(legit)))
    writeFileSync(path.join(dir, 'hostile.zip'), storedZip([...legit, ...extra], legit.length))
    expect(hashZip(path.join(dir, 'legit.zip')).hash).toBe(hashZip(path.join(dir, 'fflate.zip')).hash)
    expect(() => hashZip(path.join(dir, 'hostile.zip'))).toThrow('more entries than its end record counts')
    expect(() => hashZip(path.join(dir, 'hostile.zip'), { root: dir, parent: '', name: 'tree', prefix })).toThrow('more entries than its end record counts')
    expect(readdirSync(dir).sort()).toEqual(['fflate.zip', 'hostile.zip', 'legit.zip'])
  })

  it('refuses a zip in which go reads another central directory than the one its end record places: go would extract files the hash never saw', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'two-directories-'))
    const legit: [string, Buffer][] = [[`${prefix}empty.go`, Buffer.alloc(0)], [`${prefix}go.mod`, Buffer.from('module example.com/m\n')], [`${prefix}a.go`, Buffer.from('package m\n')]]
    const injected: [string, Buffer][] = legit.map(([name, data]) => [name, name.endsWith('a.go') ? Buffer.from('package m\n\nfunc init() { panic("injected") }\n') : data])
    writeFileSync(path.join(dir, 'legit.zip'), storedZip(legit))
    writeFileSync(path.join(dir, 'injected.zip'), storedZip(injected))
    const sum = hashZip(path.join(dir, 'legit.zip')).hash
    const injectedSum = hashZip(path.join(dir, 'injected.zip')).hash
    expect(injectedSum).not.toBe(sum)
    const oracle = await startGoOracle()
    try {
      // go's own extraction of the zips, as the module cache would have them.
      expect(await oracle.ask('unzip', [path.join(dir, 'legit.zip')])).toEqual([{ ok: true, out: sum }])
      for (const [how, zip] of Object.entries(twoDirectoryZips(legit, injected))) {
        const file = path.join(dir, 'hostile.zip')
        writeFileSync(file, zip)
        expect(await oracle.ask('unzip', [file]), how).toEqual([{ ok: true, out: injectedSum }])
        const why = how.includes('zip64') ? 'zip64 archives are left to go' : 'central directory does not end where its end record starts'
        expect(() => hashZip(file), how).toThrow(why)
        expect(() => hashZip(file, { root: dir, parent: '', name: 'tree', prefix }), how).toThrow(why)
        expect(readdirSync(dir).sort(), how).toEqual(['hostile.zip', 'injected.zip', 'legit.zip'])
      }
    } finally {
      oracle.close()
    }
  })

  it('refuses an empty file of a method go does not know, or deflated with no stream at all, as go does', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'empty-methods-'))
    const files: [string, Buffer][] = [[`${prefix}empty.go`, Buffer.alloc(0)], [`${prefix}go.mod`, Buffer.from('module example.com/m\n')]]
    const withMethod = (method: number) => {
      const zip = storedZip(files)
      // The empty file is the first: its local header at 0, its directory entry where the end record says.
      const central = zip.readUInt32LE(zip.length - 22 + 16)
      zip.writeUInt16LE(method, 8)
      zip.writeUInt16LE(method, central + 10)
      const file = path.join(dir, `method-${method}.zip`)
      writeFileSync(file, zip)
      return file
    }
    const oracle = await startGoOracle()
    try {
      expect((await oracle.ask('unzip', [withMethod(0)]))[0]?.ok).toBe(true)
      expect(hashZip(withMethod(0)).hash).toMatch(/^h1:/)
      for (const method of [8, 99]) {
        expect((await oracle.ask('unzip', [withMethod(method)]))[0]?.ok, `method ${method}`).toBe(false)
        expect(() => hashZip(withMethod(method)), `method ${method}`).toThrow(method === 8 ? 'has no deflate stream' : 'compression method 99 is left to go')
      }
    } finally {
      oracle.close()
    }
  })

  it('knows when go leaves the directories it extracts writable', () => {
    expect(extractsWritable('')).toBe(true)
    expect(extractsWritable('-mod=mod')).toBe(true)
    expect(extractsWritable('-modcacherw=false')).toBe(false)
    expect(extractsWritable('-modcacherw=false -modcacherw')).toBe(true)
    expect(extractsWritable('--modcacherw=0')).toBe(false)
  })
})

describe('the module cache go finds after the fetch', () => {
  let universe: Universe
  let sampleDir: string
  let modules: Module[]
  let proxy: ProxyServer

  beforeAll(async () => {
    universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 3, sourceBytes: 20_000 })
    // A module with nested directories, an empty file and a file too large to inflate in one piece.
    const nested: Module = { path: 'example.com/Nested', version: 'v1.2.0', pkg: 'nested' }
    const at = path.join(universe.proxyDir, escapePath(nested.path), '@v')
    mkdirSync(at, { recursive: true })
    const goMod = `module ${nested.path}\n\ngo 1.21\n`
    const files: Record<string, Uint8Array> = {
      'go.mod': Buffer.from(goMod),
      'nested.go': Buffer.from('package nested\n\nimport _ "example.com/Nested/internal/deep"\n'),
      'internal/deep/deep.go': Buffer.from('package deep\n'),
      'testdata/blob.bin': randomBytes(400 << 10),
      'docs/empty.txt': new Uint8Array(0)
    }
    writeFileSync(path.join(at, 'list'), `${nested.version}\n`)
    writeFileSync(path.join(at, `${nested.version}.info`), JSON.stringify({ Version: nested.version, Time: '2024-01-01T00:00:00Z' }))
    writeFileSync(path.join(at, `${nested.version}.mod`), goMod)
    writeFileSync(path.join(at, `${nested.version}.zip`), zipSync(Object.fromEntries(Object.entries(files).map(([name, data]) => [`${nested.path}@${nested.version}/${name}`, data]))))
    modules = [...universe.modules, nested]
    sampleDir = path.join(path.dirname(universe.sampleDir), 'nested-sample')
    await writeSample(sampleDir, 'example.com/nestedsample', modules, universe.proxyDir)
    proxy = await startProxy(universe.proxyDir, healthy)
  })
  afterAll(() => proxy.close())

  /** Every file and directory under a module cache's extracted modules, with its mode, and each file's content. */
  function trees(modcache: string): Map<string, string> {
    const found = new Map<string, string>()
    const walk = (rel: string) => {
      for (const entry of readdirSync(path.join(modcache, rel), { withFileTypes: true })) {
        const child = rel ? `${rel}/${entry.name}` : entry.name
        if (child === 'cache') continue
        const full = path.join(modcache, child)
        const mode = (lstatSync(full).mode & 0o7777).toString(8)
        if (entry.isDirectory()) {
          found.set(`${child}/`, mode)
          walk(child)
        } else found.set(child, `${mode} ${entry.isFile() ? readFileSync(full).toString('base64') : 'not a file'}`)
      }
    }
    walk('')
    return found
  }

  /** Writable again, so that the test's temporary files can be removed. */
  function writable(dir: string): void {
    chmodSync(dir, 0o755)
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) writable(path.join(dir, entry.name))
  }

  for (const goflags of ['-modcacherw', '-modcacherw=false']) {
    it(`holds exactly what go's own extraction writes (GOFLAGS=${goflags}), and go mod verify agrees`, async () => {
      const byGo = tempModcache()
      await go(['mod', 'download'], sampleDir, { ...offlineGoEnv(byGo), GOPROXY: `file://${universe.proxyDir}`, GOFLAGS: goflags })
      const run = await runScenario(universe, { proxies: proxy.url, 'working-directory': 'nested-sample' }, { workspace: path.dirname(sampleDir), env: { GOFLAGS: goflags } })
      expect(run.failed, run.log).toBe(false)
      try {
        expect(run.log).toContain(`(${modules.length} zips, ${modules.length} of them extracted for go;`)
        expect(run.summary).toContain(`${modules.length} of the zips were extracted as they were verified, so go did not extract them again.`)
        const expected = trees(byGo)
        expect([...expected.keys()]).toContain('example.com/!nested@v1.2.0/internal/deep/deep.go')
        expect(expected.get('example.com/!nested@v1.2.0/internal/')).toMatch(goflags === '-modcacherw' ? /^7/ : /^555$/)
        expect(trees(run.modcache)).toEqual(expected)
        await go(['mod', 'verify'], sampleDir, offlineGoEnv(run.modcache))
        expect(readdirSync(path.join(run.modcache, 'example.com')).filter(name => name.includes('.tmp-'))).toEqual([])
      } finally {
        writable(byGo)
        writable(run.modcache)
      }
    })
  }
})

/** A zip of stored (uncompressed) files, written byte by byte; its end record counts `count` of them, in 16 bits as the format has it. */
function storedZip(files: [string, Buffer][], count = files.length): Buffer {
  const zip = new ZipBytes()
  const offsets = files.map(([name, data]) => zip.put(localRecord(name, data)))
  const directory = Buffer.concat(files.map(([name, data], i) => centralRecord({ name, data }, offsets[i] as number)))
  const at = zip.put(directory)
  zip.put(endRecord(count, directory.length, at))
  return zip.bytes()
}

/**
 * Zips whose end record names one central directory, `shown` (what the hash must see), while
 * go's archive/zip reads another, `read`, from the same bytes: each file of both is stored, and
 * the first of `shown` must be empty (its local header is never read).
 */
function twoDirectoryZips(shown: [string, Buffer][], read: [string, Buffer][]): Record<string, Buffer> {
  const directoryLength = (files: [string, Buffer][]) => files.reduce((n, [name]) => n + 46 + Buffer.byteLength(name), 0)
  const zips: Record<string, Buffer> = {}
  {
    // A directory of exactly 0xffff bytes: go then looks for a zip64 locator just before the end
    // record (it means to compare the size with 0xffffffff), and reads the directory its zip64 end
    // record names. Here the locator is the last bytes of the last entry's comment.
    const zip = new ZipBytes()
    const shownAt = shown.map(([name, data]) => zip.put(localRecord(name, data)))
    const readAt = read.map(([name, data]) => zip.put(localRecord(name, data)))
    const other = Buffer.concat(read.map(([name, data], i) => centralRecord({ name, data }, readAt[i] as number)))
    const otherAt = zip.put(other)
    const end64At = zip.put(zip64End(read.length, other.length, otherAt))
    const locator = zip64Locator(end64At)
    const padding = 0xffff - directoryLength(shown)
    const directory = Buffer.concat(shown.map(([name, data], i) => centralRecord({ name, data }, shownAt[i] as number, { comment: Buffer.alloc(i === shown.length - 1 ? padding : 0, ' ') })))
    locator.copy(directory, directory.length - locator.length)
    const directoryAt = zip.put(directory)
    zip.put(endRecord(shown.length, 0xffff, directoryAt))
    zips['a zip64 locator before a directory of 0xffff bytes'] = zip.bytes()
  }
  {
    // Bytes between the directory and the end record: go reads the directory where the end record
    // says only if a valid entry is there. The first one's header offset 0xffffffff (never read:
    // the file is empty) is not one to go, which then reads the directory that ends at the end record.
    const readLocals = read.map(([name, data]) => localRecord(name, data))
    const zip = new ZipBytes()
    zip.put(Buffer.alloc(readLocals.reduce((n, b) => n + b.length, 0), ' '))
    const shownAt = shown.map(([name, data]) => zip.put(localRecord(name, data)))
    const directory = Buffer.concat(shown.map(([name, data], i) => centralRecord({ name, data }, i === 0 ? 0xffffffff : (shownAt[i] as number))))
    const directoryAt = zip.put(directory)
    const readAt = readLocals.map(local => zip.put(local))
    const base = zip.at - directoryAt
    const other = Buffer.concat(read.map(([name, data], i) => centralRecord({ name, data }, (readAt[i] as number) - base)))
    expect(other.length).toBe(directory.length)
    zip.put(other)
    zip.put(endRecord(shown.length, directory.length, directoryAt))
    zips['a directory that ends before the end record'] = zip.bytes()
  }
  {
    // A directory said to run on into the end record: go reads it as many bytes earlier.
    const zip = new ZipBytes()
    const readAt = read.map(([name, data]) => zip.put(localRecord(name, data)))
    const shownAt = shown.map(([name, data]) => zip.put(localRecord(name, data)))
    const early = directoryLength(read) + 4
    zip.put(Buffer.concat(read.map(([name, data], i) => centralRecord({ name, data }, (readAt[i] as number) + early))))
    zip.put(Buffer.from('----'))
    const directory = Buffer.concat(shown.map(([name, data], i) => centralRecord({ name, data }, shownAt[i] as number)))
    const directoryAt = zip.put(directory)
    zip.put(endRecord(shown.length, directory.length + early, directoryAt, early))
    zip.put(Buffer.alloc(early, ' '))
    zips['a directory that runs on into the end record'] = zip.bytes()
  }
  return zips
}
