// go.sum's h1: hash of a module zip on disk (dirhash.HashZip): sha256 of each file's content,
// then sha256 over `<hex>  <name>\n` lines in name order. The zip is read from disk entry by
// entry, synchronously: an asynchronous read or inflate costs a thread-pool round trip each,
// which for tens of thousands of small files costs more than the inflating. So the fetch runs
// this in a worker thread (hashers.ts), and on its main thread only when no thread can run. Large
// entries are read and inflated a piece at a time (inflater.ts), so neither the zip nor a file of
// it is ever whole in memory.
import { createHash } from 'node:crypto'
import { closeSync, fstatSync } from 'node:fs'
import * as zlib from 'node:zlib'
import { openRegular } from '../util/confined.ts'
import { hash1Of } from '../module/gosum.ts'
import { Inflater } from './inflater.ts'
import { readAt } from './read-at.ts'
import { type ExtractTarget, extractable, extractionPath, TreeWriter } from './zip-extract.ts'

/**
 * node's CRC-32 (from 20.15 and 22.2): read from the module's namespace, so that an older node
 * still loads this file. Without it, no file's CRC-32 is checked; its sha256 still is, so only
 * a zip go would refuse for its CRCs alone gets through.
 */
const crc32: ((data: Uint8Array, value?: number) => number) | undefined = typeof zlib.crc32 === 'function' ? zlib.crc32 : undefined

/**
 * A zip's central directory, each entry's fields at its index. The names stay in the directory's
 * own bytes: an object and a copied name for each of the tens of thousands of files of a large
 * module lived as long as its hashing, long enough to reach the thread's old space, which grew
 * by about 15 MiB for a zip of 20,000 files before a full collection came.
 */
interface Directory {
  bytes: Buffer
  count: number
  method: Uint16Array
  flags: Uint16Array
  crc: Uint32Array
  compressedSize: Uint32Array
  size: Uint32Array
  /** Where each entry's local header starts; its data follows the header's own name and extra field. */
  localOffset: Uint32Array
  nameStart: Uint32Array
  nameLength: Uint16Array
}

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50
const ZIP64_LOCATOR = 0x07064b50
const DATA_DESCRIPTOR = 0x08074b50
/** Go refuses module zips whose files add up to more than this, and zips larger than this (MaxZipFile); so does the hash. */
const MAX_UNZIPPED = 500 << 20
const MAX_ZIP_FILE = 500 << 20

function directoryOf(fd: number): Directory {
  const { size } = fstatSync(fd)
  if (size > MAX_ZIP_FILE) throw new Error('zip larger than 500 MiB')
  const tailLength = Math.min(size, 22 + 0xffff)
  const tail = readAt(fd, size - tailLength, tailLength)
  let end = -1
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      end = i
      break
    }
  }
  if (end < 0) throw new Error('not a zip: no end of central directory')
  // go takes the last end record too, and refuses the zip when its comment would run past the zip's end.
  if (end + 22 + tail.readUInt16LE(end + 20) > tail.length) throw new Error("corrupt end of central directory: its comment runs past the zip's end")
  const count = tail.readUInt16LE(end + 10)
  const directorySize = tail.readUInt32LE(end + 12)
  const directoryOffset = tail.readUInt32LE(end + 16)
  if (count === 0xffff || directoryOffset === 0xffffffff) throw new Error('zip64 archives are left to go')
  // Read only what the zip holds: a directory the end record says is larger would be allocated first.
  if (directoryOffset + directorySize > size) throw new Error('corrupt central directory: it runs past the end of the zip')
  if (directorySize < count * 46) throw new Error(`corrupt central directory: ${directorySize} bytes cannot hold ${count} entries`)
  // go's archive/zip reads the directory that ends where the end record starts (offsets are taken
  // from there, a "base offset" for zips with bytes before them), and the one at the end record's
  // offset only when that is the same place or, failing it, an entry go reads is there. A zip
  // where the two can differ would have go extract from one directory what the hash read from
  // another: refused.
  const endAt = size - tailLength + end
  if (directoryOffset + directorySize !== endAt) throw new Error('central directory does not end where its end record starts')
  // go takes a directory of 0xffff bytes for a zip64 one (it compares the 32-bit size with
  // 0xffff) and, when a zip64 locator is just before the end record, reads the directory that
  // locator's record names instead.
  if (directorySize === 0xffff && endAt >= 20 && readAt(fd, endAt - 20, 4).readUInt32LE(0) === ZIP64_LOCATOR) throw new Error('zip64 archives are left to go')
  const bytes = readAt(fd, directoryOffset, directorySize)
  const dir: Directory = {
    bytes,
    count,
    method: new Uint16Array(count),
    flags: new Uint16Array(count),
    crc: new Uint32Array(count),
    compressedSize: new Uint32Array(count),
    size: new Uint32Array(count),
    localOffset: new Uint32Array(count),
    nameStart: new Uint32Array(count),
    nameLength: new Uint16Array(count)
  }
  let at = 0
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== CENTRAL) throw new Error(`corrupt central directory: no entry ${i + 1} where the one before ends`)
    const nameLength = bytes.readUInt16LE(at + 28)
    const skip = nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32)
    // go reads on past the directory's end (and refuses the zip only where the zip ends first): an entry is taken only whole inside it.
    if (at + 46 + skip > bytes.length) throw new Error(`corrupt central directory: entry ${i + 1} runs past its end`)
    dir.flags[i] = bytes.readUInt16LE(at + 8)
    dir.method[i] = bytes.readUInt16LE(at + 10)
    dir.crc[i] = bytes.readUInt32LE(at + 16)
    dir.compressedSize[i] = bytes.readUInt32LE(at + 20)
    dir.size[i] = bytes.readUInt32LE(at + 24)
    dir.localOffset[i] = bytes.readUInt32LE(at + 42)
    dir.nameStart[i] = at + 46
    dir.nameLength[i] = nameLength
    at += 46 + skip
  }
  // go reads entries on until one is not there, and compares how many with the end record's count
  // in 16 bits only: a directory of 65,536 entries more than it counts would be extracted whole by
  // go, under the hash of the counted ones. A zip with another entry where the directory should end is refused.
  const next = readAt(fd, directoryOffset + at, 4, true)
  if (next.length === 4 && next.readUInt32LE(0) === CENTRAL) throw new Error('central directory holds more entries than its end record counts')
  return dir
}

/** The name of entry `i`: a view of the directory's bytes. */
function nameOf(dir: Directory, i: number): Buffer {
  return dir.bytes.subarray(dir.nameStart[i], nameEnd(dir, i))
}

/** Where the name of entry `i` ends in the directory's bytes. */
function nameEnd(dir: Directory, i: number): number {
  return (dir.nameStart[i] as number) + (dir.nameLength[i] as number)
}

/** The byte order of entries `a` and `b`'s names, as Buffer.compare, without a view of either. */
function compareNames(dir: Directory, a: number, b: number): number {
  return dir.bytes.compare(dir.bytes, dir.nameStart[b], nameEnd(dir, b), dir.nameStart[a], nameEnd(dir, a))
}

/** Entries this small (compressed) are read with their local header in one call; larger ones are read a piece at a time. */
const SMALL_ENTRY = 256 << 10
/** Room for a local header's extra field, usually as long as the directory's (often none). */
const HEADER_SLACK = 64

/** The thread's reusable buffers, made on first use: hashing is synchronous, so one call has them at a time. */
let tools: { inflater: Inflater; scratch: Buffer } | undefined
const toolsOfThread = () => (tools ??= { inflater: new Inflater(), scratch: Buffer.allocUnsafe(SMALL_ENTRY + 30 + 0xffff + HEADER_SLACK) })

/**
 * The sha256 of entry `i`'s content, written into `digests` at `i * 32`; with `out`, the content
 * is written there too. The entry is read, inflated, hashed and written a piece at a time through
 * buffers the thread reuses: a buffer per file, as node's own calls make, left tens of MiB of
 * garbage between collections.
 */
function contentHash(fd: number, dir: Directory, i: number, digests: Buffer, out?: TreeWriter): void {
  const { inflater, scratch } = toolsOfThread()
  const method = dir.method[i] as number
  const compressedSize = dir.compressedSize[i] as number
  const expected = dir.size[i] as number
  const localOffset = dir.localOffset[i] as number
  const hash = createHash('sha256')
  let size = 0
  let crc = 0
  const take = (chunk: Buffer) => {
    size += chunk.length
    if (size > expected) throw new Error(`${nameOf(dir, i).toString()} is larger than the zip says`)
    hash.update(chunk)
    if (crc32) crc = crc32(chunk, crc)
    out?.write(chunk)
  }
  // go refuses these even for an empty file: a method it does not know, and deflate data of no bytes (no stream at all).
  if (method !== 8 && method !== 0) throw new Error(`compression method ${method} is left to go`)
  // go opens a directory's entry as empty, and refuses one whose size is not 0 (its hash could hold no such line).
  const isDirectory = dir.bytes[nameEnd(dir, i) - 1] === 0x2f
  if (expected !== 0 && isDirectory) throw new Error(`${nameOf(dir, i).toString()} is a directory with content`)
  if (method === 8 && compressedSize === 0) throw new Error(`${nameOf(dir, i).toString()} has no deflate stream`)
  // One positioned read for the local header and, for a small entry, its data. go reads the
  // local header of every entry it opens, an empty one too, and refuses the zip where it is not one.
  const small = compressedSize <= SMALL_ENTRY
  const guess = 30 + (dir.nameLength[i] as number) + HEADER_SLACK
  const head = readAt(fd, localOffset, small ? guess + compressedSize : 30, true, scratch)
  if (head.length < 30 || head.readUInt32LE(0) !== LOCAL) throw new Error('corrupt local header')
  const dataAt = 30 + head.readUInt16LE(26) + head.readUInt16LE(28)
  const start = localOffset + dataAt
  if (compressedSize > 0) {
    if (small) {
      const raw = dataAt + compressedSize <= head.length ? head.subarray(dataAt, dataAt + compressedSize) : readAt(fd, start, compressedSize)
      if (method === 8) inflater.inflate(raw, expected, take)
      else take(raw)
    } else if (method === 8) {
      inflater.inflateFile(fd, start, compressedSize, expected, take)
    } else {
      for (let done = 0; done < compressedSize; ) {
        const piece = readAt(fd, start + done, Math.min(SMALL_ENTRY, compressedSize - done), false, scratch)
        take(piece)
        done += piece.length
      }
    }
  }
  if (size !== expected) throw new Error(`${nameOf(dir, i).toString()} is shorter than the zip says`)
  // go checks the CRC-32 of each file it reads (never a directory's): when the flags say a data
  // descriptor follows the data, against the directory's, and the descriptor must be there and
  // agree; otherwise against the directory's unless that is 0. A zip go would refuse to extract
  // is not written out for it, nor hashed.
  if (!isDirectory && crc32) {
    const want = dir.crc[i] as number
    if (((dir.flags[i] as number) & 8) !== 0) {
      // Most often read already with the header and data of a small entry (go's own zips have a descriptor after each file).
      const descriptorAt = dataAt + compressedSize
      const descriptor = small && descriptorAt + 16 <= head.length ? head.subarray(descriptorAt, descriptorAt + 16) : readAt(fd, start + compressedSize, 16, true)
      const signed = descriptor.length >= 4 && descriptor.readUInt32LE(0) === DATA_DESCRIPTOR
      if (descriptor.length < (signed ? 16 : 12) || descriptor.readUInt32LE(signed ? 4 : 0) !== want) throw new Error(`${nameOf(dir, i).toString()} has no data descriptor that agrees with the zip's directory`)
      if (crc !== want) throw new Error(`${nameOf(dir, i).toString()} fails its CRC-32 check`)
    } else if (want !== 0 && crc !== want) throw new Error(`${nameOf(dir, i).toString()} fails its CRC-32 check`)
  }
  hash.digest().copy(digests, i * 32)
}

/** The h1: hash of the zip at `file`; throws on a zip that is broken or not one go would read. */
export function zipFileHash(file: string): string {
  return hashZip(file).hash
}

/**
 * The h1: hash of the zip at `file`, its files written under `into.dir` on the way (zip-extract.ts).
 * `dirs` lists the directories made, deepest first; it is absent when the zip was only hashed,
 * because go's checks might refuse it. The caller removes the new directory unless it keeps it.
 */
export function hashZip(file: string, into?: ExtractTarget): { hash: string; dirs?: string[] } {
  // Never through a link, never a FIFO or device that would block or never end.
  const fd = openRegular(file)
  let out: TreeWriter | undefined
  try {
    const dir = directoryOf(fd)
    if (dir.size.reduce((n, size) => n + size, 0) > MAX_UNZIPPED) throw new Error('unzipped size over 500 MiB')
    const entries = function* () {
      for (let i = 0; i < dir.count; i++) yield { name: nameOf(dir, i).toString(), size: dir.size[i] as number }
    }
    const prefix = into && extractable(entries(), into.prefix) ? into.prefix : undefined
    out = prefix === undefined ? undefined : new TreeWriter(into as ExtractTarget)
    const digests = Buffer.allocUnsafe(dir.count * 32)
    for (let i = 0; i < dir.count; i++) {
      const rel = prefix === undefined ? undefined : extractionPath(nameOf(dir, i).toString(), prefix)
      if (rel !== undefined) out?.open(rel)
      try {
        contentHash(fd, dir, i, digests, rel === undefined ? undefined : out)
      } finally {
        out?.close()
      }
    }
    const hash = hash1Of({
      count: dir.count,
      name: i => nameOf(dir, i),
      compare: (a, b) => compareNames(dir, a, b),
      sha256Hex: i => digests.toString('hex', i * 32, i * 32 + 32)
    })
    return { hash, ...(out && out.failed === undefined ? { dirs: out.dirs() } : {}) }
  } finally {
    closeSync(fd)
    out?.end()
  }
}
