// A differential property test of the zip reader (zip-hash.ts) against go's own (archive/zip,
// x/mod's zip.Unzip, dirhash.HashZip), through the Go oracle: module zips for
// example.com/m@v1.0.0, laid out by hand and then bent in the ways a hostile proxy could bend
// them (header fields, duplicated and dropped directory entries, bytes between sections, a second
// directory, fake end records, zip64 records, local names unlike the directory's, data
// descriptors, entries that overlap). The .ziphash of a zip the hash took is trusted by go
// without rehashing, and go may extract that zip itself later: whenever the hash returns H, go
// must refuse the zip or see exactly the files whose hash is H; whenever the hash wrote the
// zip's files, go's Unzip must take it and write the same files.
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { crc32, deflateRawSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashZip } from '../src/fetch/zip-hash.ts'
import { type GoOracle, type Op, startGoOracle } from './support/go-oracle.ts'
import { centralRecord, endRecord, localHeader, localRecord, zip64End, zip64Locator } from './support/zip-records.ts'

const PREFIX = 'example.com/m@v1.0.0/'
const NAMES = ['go.mod', 'a.go', 'sub/b.go', 'sub/c.txt', 'empty', 'LICENSE', 'x/y/z.go', 'sub/', '', 'A.go', '../evil.go']

/** One file of the module as generated: its path under the prefix, content, method and whether a data descriptor follows its data (with or without its signature). */
interface FileSpec {
  rel: string
  data: Buffer
  method: 0 | 8
  descriptor: 0 | 1 | 2
  /** Bytes after the deflate stream, inside the entry's compressed size. */
  rawTail: Buffer
}

/** A value to write into a header field, resolved against the zip once laid out. */
interface Value {
  kind: 'plus' | 'minus' | 'zero' | 'max' | 'pool' | 'random'
  pick: number
  random: number
}

interface Edit {
  target: 'central' | 'local' | 'end'
  index: number
  field: number
  value: Value
}

interface Case {
  files: FileSpec[]
  large: boolean
  prefix: Buffer
  /** Per file, another name from NAMES to put in its local header instead of its own (-1: its own). */
  localNames: number[]
  /** Which file each directory entry is, in order. */
  order: number[]
  /** Per directory entry: no extra field, a zip64 one (of 8, 16 or 24 bytes), or arbitrary bytes. */
  extras: number[]
  dirGap: Buffer
  /** Between the directory and the end record. */
  endGap: 'none' | 'bytes' | 'zip64' | 'zip64-shadow' | 'shadow-dir'
  /** Whether the end record's directory size takes in the bytes between the directory and it. */
  sizeCoversGap: boolean
  comment: 'none' | 'text' | 'fake-end' | 'fake-end-bad-length' | 'shadow-dir-and-end' | 'fake-end-count'
  /** A second copy of the directory after the first (the end record counting only one, or both). */
  secondDirectory: 'none' | 'uncounted' | 'counted'
  trailing: Buffer
  edits: Edit[]
}

// Header field offsets and widths: the central directory entry's, the local header's, the end record's.
const CENTRAL_FIELDS: [number, 2 | 4][] = [
  [0, 4],
  [8, 2],
  [10, 2],
  [16, 4],
  [20, 4],
  [24, 4],
  [28, 2],
  [30, 2],
  [32, 2],
  [42, 4]
]
const LOCAL_FIELDS: [number, 2 | 4][] = [
  [0, 4],
  [6, 2],
  [8, 2],
  [14, 4],
  [18, 4],
  [22, 4],
  [26, 2],
  [28, 2]
]
const END_FIELDS: [number, 2 | 4][] = [
  [4, 2],
  [8, 2],
  [10, 2],
  [12, 4],
  [16, 4],
  [20, 2]
]

const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map(a => Buffer.from(a))
const content = fc.oneof(
  { weight: 2, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 3, arbitrary: bytes(200) },
  { weight: 3, arbitrary: fc.tuple(fc.string({ maxLength: 20 }), fc.nat(40)).map(([s, n]) => Buffer.from(`package m // ${s}\n`.repeat(n + 1))) }
)
const fileSpec = fc.record({ rel: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...NAMES.slice(0, 7)) }, { weight: 1, arbitrary: fc.constantFrom(...NAMES.slice(7)) }), data: content, method: fc.constantFrom<0 | 8>(0, 8), descriptor: fc.constantFrom<0 | 1 | 2>(0, 0, 1, 2), rawTail: fc.oneof({ weight: 9, arbitrary: fc.constant(Buffer.alloc(0)) }, { weight: 1, arbitrary: bytes(8) }) })
const value = fc.record({ kind: fc.constantFrom<Value['kind']>('plus', 'minus', 'zero', 'max', 'pool', 'pool', 'random'), pick: fc.nat(), random: fc.nat({ max: 0xffffffff }) })
const edit = fc.record({ target: fc.constantFrom<Edit['target']>('central', 'central', 'local', 'end'), index: fc.nat(), field: fc.nat(), value })

const zipCase: fc.Arbitrary<Case> = fc
  .record({
    files: fc.uniqueArray(fileSpec, { minLength: 1, maxLength: 4, selector: f => f.rel }),
    large: fc.boolean().chain(b => (b ? fc.boolean().map(c => c && Math.random() < 0.2) : fc.constant(false))),
    mutated: fc.nat(9),
    prefix: fc.oneof({ weight: 5, arbitrary: fc.constant(Buffer.alloc(0)) }, { weight: 1, arbitrary: bytes(40) }),
    localNames: fc.array(fc.oneof({ weight: 6, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat(NAMES.length - 1) }), { minLength: 5, maxLength: 5 }),
    orderEdit: fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.record({ how: fc.constantFrom('duplicate', 'drop', 'swap', 'extra-name', 'same-name'), a: fc.nat(), b: fc.nat() }) }
    ),
    extras: fc.array(fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }) }), { minLength: 6, maxLength: 6 }),
    dirGap: fc.oneof({ weight: 6, arbitrary: fc.constant(Buffer.alloc(0)) }, { weight: 1, arbitrary: bytes(30) }),
    endGap: fc.constantFrom<Case['endGap']>('none', 'none', 'none', 'bytes', 'zip64', 'zip64-shadow', 'shadow-dir'),
    sizeCoversGap: fc.boolean(),
    comment: fc.constantFrom<Case['comment']>('none', 'none', 'none', 'text', 'fake-end', 'fake-end-bad-length', 'shadow-dir-and-end', 'fake-end-count'),
    secondDirectory: fc.constantFrom<Case['secondDirectory']>('none', 'none', 'none', 'none', 'uncounted', 'counted'),
    trailing: fc.oneof({ weight: 8, arbitrary: fc.constant(Buffer.alloc(0)) }, { weight: 1, arbitrary: bytes(30) }),
    edits: fc.array(edit, { maxLength: 3 })
  })
  .map(({ mutated, orderEdit, ...c }): Case => {
    const order = c.files.map((_, i) => i)
    if (orderEdit) {
      const a = orderEdit.a % order.length
      const b = orderEdit.b % order.length
      if (orderEdit.how === 'duplicate') order.splice(b, 0, a)
      else if (orderEdit.how === 'drop' && order.length > 1) order.splice(a, 1)
      else if (orderEdit.how === 'swap') [order[a], order[b]] = [order[b] as number, order[a] as number]
      else if (orderEdit.how === 'extra-name') order.push(-1 - a)
      else order.push(-100 - a)
    }
    // About a third of the cases are left as they were laid out: the zips go and the hash both take.
    if (mutated < 3) return { ...c, order: c.files.map((_, i) => i), prefix: Buffer.alloc(0), localNames: [], extras: [], dirGap: Buffer.alloc(0), endGap: 'none', comment: 'none', secondDirectory: 'none', trailing: Buffer.alloc(0), edits: [] }
    return { ...c, order }
  })

/** A deterministic 300 KiB file: larger than what the hash reads with its local header in one call. */
function largeFile(): FileSpec {
  const block = createHash('sha256').update('large').digest()
  const data = Buffer.alloc(300 << 10)
  for (let i = 0; i < data.length; i += 32) createHash('sha256').update(block).update(String(i)).digest().copy(data, i)
  return { rel: 'big.bin', data, method: 8, descriptor: 0, rawTail: Buffer.alloc(0) }
}

/** The zip a case describes. */
function layOut(c: Case): Buffer {
  const files = c.large ? [...c.files, largeFile()] : c.files
  const pieces: Buffer[] = []
  let at = 0
  const put = (b: Buffer) => {
    pieces.push(b)
    at += b.length
    return at - b.length
  }
  put(c.prefix)
  const raws = files.map(f => (f.method === 8 ? Buffer.concat([deflateRawSync(f.data), f.rawTail]) : f.data))
  const crcs = files.map(f => crc32(f.data))
  const localAt: number[] = []
  files.forEach((f, i) => {
    const name = PREFIX + (c.localNames[i] !== undefined && c.localNames[i] >= 0 ? NAMES[c.localNames[i]] : f.rel)
    const raw = raws[i] as Buffer
    let descriptor = Buffer.alloc(0)
    if (f.descriptor) {
      descriptor = Buffer.alloc(16)
      descriptor.writeUInt32LE(0x08074b50, 0)
      descriptor.writeUInt32LE(crcs[i] as number, 4)
      descriptor.writeUInt32LE(raw.length, 8)
      descriptor.writeUInt32LE(f.data.length, 12)
      if (f.descriptor === 2) descriptor = descriptor.subarray(4)
    }
    localAt.push(put(Buffer.concat([localHeader({ name, data: f.data, raw, method: f.method, descriptor: f.descriptor !== 0 }), raw, descriptor])))
  })
  // The shadow files: each name again, other content, stored; go must never see them under a hash that did not.
  const shadow = files.map(f => ({ name: PREFIX + f.rel, data: Buffer.from(`package m // injected into ${f.rel}\n`) }))
  const shadowAt = shadow.map(({ name, data }) => put(localRecord(name, data)))
  const shadowDirectory = Buffer.concat(shadow.map(({ name, data }, i) => centralRecord({ name, data }, shadowAt[i] as number)))
  /** The directory entry of the file at `k`, under `name`. */
  const central = (name: string, k: number, extra: Buffer) => {
    const f = files[k] as FileSpec
    return centralRecord({ name, data: f.data, raw: raws[k] as Buffer, method: f.method, descriptor: f.descriptor !== 0 }, localAt[k] as number, { extra })
  }
  put(c.dirGap)
  const dirAt = at
  const centralAt: number[] = []
  const entries = c.order.map((i, j) => {
    const extraKind = c.extras[j] ?? 0
    let extra = Buffer.alloc(0)
    if (extraKind >= 1 && extraKind <= 3) {
      extra = Buffer.alloc(4 + 8 * extraKind)
      extra.writeUInt16LE(1, 0)
      extra.writeUInt16LE(8 * extraKind, 2)
      for (let k = 0; k < extraKind; k++) extra.writeBigUInt64LE(BigInt(shadowAt[k % shadowAt.length] as number), 4 + 8 * k)
    } else if (extraKind === 4) extra = Buffer.from('UT\x05\x00\x01\x00\x00\x00\x00', 'latin1')
    if (i < 0) {
      // A name of no file (or the last file's name), for the data of a file.
      const k = (i > -100 ? -1 - i : -100 - i) % files.length
      return central(PREFIX + (i > -100 ? 'extra.go' : (files.at(-1) as FileSpec).rel), k, extra)
    }
    return central(PREFIX + (files[i] as FileSpec).rel, i, extra)
  })
  if (c.large) entries.push(central(PREFIX + 'big.bin', files.length - 1, Buffer.alloc(0)))
  for (const e of entries) centralAt.push(put(e))
  let count = entries.length
  if (c.secondDirectory !== 'none') {
    for (const e of entries) centralAt.push(put(e))
    if (c.secondDirectory === 'counted') count *= 2
  }
  const dirEnd = at
  // Between the directory and the end record.
  let shadowDirAt = -1
  if (c.endGap === 'bytes') put(Buffer.from('PK\x01\x02 not an entry at all', 'latin1'))
  else if (c.endGap === 'shadow-dir') shadowDirAt = put(shadowDirectory)
  else if (c.endGap === 'zip64' || c.endGap === 'zip64-shadow') {
    if (c.endGap === 'zip64-shadow') shadowDirAt = put(shadowDirectory)
    const [n, size, offset] = c.endGap === 'zip64-shadow' ? [shadow.length, shadowDirectory.length, shadowDirAt] : [count, dirEnd - dirAt, dirAt]
    put(zip64Locator(put(zip64End(n, size, offset))))
  }
  const endAt = at
  const dirSize = c.sizeCoversGap ? endAt - dirAt : dirEnd - dirAt
  // The comment, where a fake end record may hide.
  let comment: Buffer = Buffer.alloc(0)
  if (c.comment === 'text') comment = Buffer.from('a comment')
  else if (c.comment === 'fake-end') comment = endRecord(count, dirEnd - dirAt, dirAt)
  else if (c.comment === 'fake-end-count') comment = endRecord(count + 1, dirEnd - dirAt, dirAt)
  else if (c.comment === 'fake-end-bad-length') comment = endRecord(count, dirEnd - dirAt, dirAt, 100)
  else if (c.comment === 'shadow-dir-and-end') {
    shadowDirAt = endAt + 22
    comment = Buffer.concat([shadowDirectory, endRecord(shadow.length, shadowDirectory.length, shadowDirAt)])
  }
  put(endRecord(count, dirSize, dirAt, comment.length))
  put(comment)
  put(c.trailing)
  const zip = Buffer.concat(pieces)
  // Header edits, each value resolved against the zip as laid out.
  const pool = [...localAt, ...shadowAt, dirAt, dirEnd - dirAt, endAt, shadowDirAt, shadowDirectory.length, ...raws.map(r => r.length), ...files.map(f => f.data.length), ...crcs, ...centralAt, 0x08074b50, 0x04034b50, 0x02014b50]
  for (const e of c.edits) {
    const [base, fields] = e.target === 'central' ? [centralAt[e.index % centralAt.length], CENTRAL_FIELDS] : e.target === 'local' ? [localAt[e.index % localAt.length], LOCAL_FIELDS] : [endAt, END_FIELDS]
    if (base === undefined) continue
    const [offset, width] = fields[e.field % fields.length] as [number, 2 | 4]
    const where = base + offset
    const old = width === 2 ? zip.readUInt16LE(where) : zip.readUInt32LE(where)
    const max = width === 2 ? 0xffff : 0xffffffff
    const v = e.value
    let next = { plus: old + 1, minus: old - 1, zero: 0, max, pool: pool[v.pick % pool.length] as number, random: v.random }[v.kind]
    next = ((next % (max + 1)) + max + 1) % (max + 1)
    if (width === 2) zip.writeUInt16LE(next, where)
    else zip.writeUInt32LE(next, where)
  }
  return zip
}

/** Each file and directory under `dir`: [path, sha256 hex (empty for a directory), mode in octal], sorted by path. */
function listing(dir: string): [string, string, string][] {
  const found: [string, string, string][] = []
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const child = rel ? `${rel}/${name}` : name
      const full = path.join(dir, child)
      const stat = statSync(full)
      const mode = (stat.mode & 0o777).toString(8)
      if (stat.isDirectory()) {
        found.push([child, '', mode])
        walk(child)
      } else found.push([child, createHash('sha256').update(readFileSync(full)).digest('hex'), mode])
    }
  }
  walk('')
  return found.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

const attempt = <T>(work: () => T): T | Error => {
  try {
    return work()
  } catch (e) {
    return e as Error
  }
}

describe("the zip hash against go's own reading of hostile zips", () => {
  let oracle: GoOracle
  let dir: string
  beforeAll(async () => {
    oracle = await startGoOracle()
    dir = mkdtempSync(path.join(os.tmpdir(), 'zip-differential-'))
  })
  afterAll(() => {
    oracle.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('never hashes a zip go would read otherwise, and writes out only zips go extracts to the same files', async () => {
    const seen = { runs: 0, bothTake: 0, written: 0, goOnly: 0 }
    await fc.assert(
      fc.asyncProperty(zipCase, async c => {
        const n = seen.runs++
        const file = path.join(dir, `${n}.zip`)
        writeFileSync(file, layOut(c))
        const ours = attempt(() => hashZip(file).hash)
        const into = attempt(() => hashZip(file, { root: dir, parent: '', name: `tree-${n}`, prefix: PREFIX }))
        const ask = (op: Op) => oracle.ask(op, [file]).then(([answer]) => answer)
        const [unzipped, tree, goHash, names] = await Promise.all([ask('unzip'), ask('unzipTree'), ask('hashZip'), ask('zipNames')])
        try {
          if (ours instanceof Error) {
            expect(into, 'refused plain, taken when writing').toBeInstanceOf(Error)
            if (unzipped?.ok) seen.goOnly++
            return
          }
          expect(into instanceof Error ? into.message : into.hash, 'hashed otherwise when writing').toBe(ours)
          // go refuses the zip, or sees exactly the files whose hash is ours.
          if (goHash?.ok) expect(goHash.out, "dirhash.HashZip's hash").toBe(ours)
          if (unzipped?.ok) {
            seen.bothTake++
            // A directory entry is hashed as a file, and Unzip writes nothing for it: the tree's hash is then
            // not the zip's, and go's HashZip (the same entries, as go reads them) must be.
            const directories = (JSON.parse(names?.out ?? '[]') as string[]).some(name => name.endsWith('/'))
            if (directories) expect(goHash?.out, 'dirhash.HashZip of a zip with directory entries').toBe(ours)
            else expect(unzipped.out, "the hash of the tree go's Unzip wrote").toBe(ours)
          }
          if (!(into instanceof Error) && into.dirs) {
            seen.written++
            expect(tree?.ok, `go's Unzip refused a zip whose files were written: ${tree?.out}`).toBe(true)
            expect(listing(path.join(dir, `tree-${n}`)), 'the files written against those go writes').toEqual(JSON.parse(tree?.out ?? '[]'))
          }
        } finally {
          rmSync(path.join(dir, `tree-${n}`), { recursive: true, force: true })
          rmSync(file)
        }
      }),
      { numRuns: 1500 }
    )
    // The generator is meaningful only if go and the hash both take a good share of its zips.
    expect(seen.bothTake, JSON.stringify(seen)).toBeGreaterThan(seen.runs / 4)
  }, 110_000)

  it("refuses, as go does, the zips the differential test found it took: go's HashZip hashes otherwise, or go's Unzip refuses files already written", async () => {
    const file = (rel: string, data: string, more: Partial<FileSpec> = {}): FileSpec => ({ rel, data: Buffer.from(data), method: 0, descriptor: 0, rawTail: Buffer.alloc(0), ...more })
    const plain: Case = { files: [file('go.mod', 'module example.com/m\n'), file('empty', '')], large: false, prefix: Buffer.alloc(0), localNames: [], order: [0, 1], extras: [], dirGap: Buffer.alloc(0), endGap: 'none', sizeCoversGap: false, comment: 'none', secondDirectory: 'none', trailing: Buffer.alloc(0), edits: [] }
    const set = (target: Edit['target'], index: number, field: number, random: number): Edit => ({ target, index, field, value: { kind: 'random', pick: 0, random } })
    const cases: [string, Case, string | RegExp][] = [
      // go's HashZip refuses a directory with content (Unzip skips it): no go.sum holds its line.
      ['a directory entry with content', { ...plain, files: [...plain.files, file('sub/', 'x')], order: [0, 1, 2] }, 'sub/ is a directory with content'],
      // go opens every file's local header, an empty file's too.
      ["an empty file's local header not there", { ...plain, edits: [set('central', 1, 9, 0xfffffff0)] }, 'corrupt local header'],
      ['a CRC-32 that is not the data', { ...plain, edits: [set('central', 0, 3, 1)] }, 'go.mod fails its CRC-32 check'],
      ['an empty file with a CRC-32 not 0', { ...plain, edits: [set('central', 1, 3, 1)] }, 'empty fails its CRC-32 check'],
      ['a data descriptor the flags say follows and that is not there', { ...plain, edits: [set('central', 0, 1, 8)] }, 'go.mod has no data descriptor that agrees'],
      ["a data descriptor whose CRC-32 is not the directory's", { ...plain, files: [file('go.mod', 'module example.com/m\n', { descriptor: 1 }), plain.files[1] as FileSpec], edits: [set('central', 0, 3, 7)] }, 'go.mod has no data descriptor that agrees'],
      // go reads a directory entry whole, past the directory's end: where the zip ends first, it refuses the zip.
      ["an entry's extra field running past the zip's end", { ...plain, edits: [set('central', 1, 7, 0xffff)] }, 'corrupt central directory: entry 2 runs past its end'],
      ["an end record's comment running past the zip's end", { ...plain, edits: [set('end', 0, 5, 1)] }, "its comment runs past the zip's end"],
      // go's HashZip hashes the last entry of a name for each line of it.
      ['a name twice, with other content', { ...plain, order: [0, 1, -100] }, 'example.com/m@v1.0.0/empty is in the zip twice']
    ]
    const good = path.join(dir, 'plain.zip')
    writeFileSync(good, layOut(plain))
    expect((await oracle.ask('unzip', [good]))[0]).toEqual({ ok: true, out: hashZip(good).hash })
    for (const [how, c, why] of cases) {
      const zip = path.join(dir, 'found.zip')
      writeFileSync(zip, layOut(c))
      const [[unzipped], [goHash]] = await Promise.all([oracle.ask('unzip', [zip]), oracle.ask('hashZip', [zip])])
      expect(!unzipped?.ok || !goHash?.ok || goHash.out !== unzipped.out, how).toBe(true)
      expect(() => hashZip(zip), how).toThrow(why)
      expect(() => hashZip(zip, { root: dir, parent: '', name: 'found', prefix: PREFIX }), how).toThrow(why)
      rmSync(path.join(dir, 'found'), { recursive: true, force: true })
    }
  })
})
