// go.sum's h1: hash of a module zip on disk (dirhash.HashZip): sha256 of each file's content,
// then sha256 over `<hex>  <name>\n` lines in name order. The zip is read from disk entry by
// entry. Small entries (nearly all of a module's files) are read and inflated synchronously, one
// call each: an asynchronous inflate costs a thread-pool round trip per 16 KiB, which for tens of
// thousands of small files costs more than the inflating. So the fetch runs this in a worker
// thread (hashers.ts), and on its main thread only when no thread can run. Large entries are
// streamed, so neither the zip nor a file of it is ever whole in memory.
import { createHash } from 'node:crypto'
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { createInflateRaw, inflateRawSync } from 'node:zlib'
import { hash1 } from '../gosum.ts'
import { type ExtractTarget, extractionPaths, TreeWriter } from './zip-extract.ts'

interface Entry {
  name: Buffer
  method: number
  compressedSize: number
  size: number
  /** Where the entry's local header starts; its data follows the header's own name and extra field. */
  localOffset: number
}

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50
/** Go refuses module zips whose files add up to more than this; so does the hash. */
const MAX_UNZIPPED = 500 << 20

/** `length` bytes at `offset`; with `upTo`, fewer where the file ends sooner. Read into `scratch` when it is large enough. */
function readAt(fd: number, offset: number, length: number, upTo = false, scratch?: Buffer): Buffer {
  const buffer = scratch && scratch.length >= length ? scratch : Buffer.allocUnsafe(length)
  let bytesRead = 0
  while (bytesRead < length) {
    const n = readSync(fd, buffer, bytesRead, length - bytesRead, offset + bytesRead)
    if (n === 0) break
    bytesRead += n
  }
  if (bytesRead !== length && !upTo) throw new Error('zip is cut short')
  return buffer.subarray(0, bytesRead)
}

function entries(fd: number): Entry[] {
  const { size } = fstatSync(fd)
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
  const count = tail.readUInt16LE(end + 10)
  const directorySize = tail.readUInt32LE(end + 12)
  const directoryOffset = tail.readUInt32LE(end + 16)
  if (count === 0xffff || directoryOffset === 0xffffffff) throw new Error('zip64 archives are left to go')
  const directory = readAt(fd, directoryOffset, directorySize)
  const list: Entry[] = []
  let at = 0
  for (let i = 0; i < count; i++) {
    if (directory.readUInt32LE(at) !== CENTRAL) throw new Error('corrupt central directory')
    const nameLength = directory.readUInt16LE(at + 28)
    const skip = nameLength + directory.readUInt16LE(at + 30) + directory.readUInt16LE(at + 32)
    const entry = {
      method: directory.readUInt16LE(at + 10),
      compressedSize: directory.readUInt32LE(at + 20),
      size: directory.readUInt32LE(at + 24),
      localOffset: directory.readUInt32LE(at + 42),
      name: Buffer.from(directory.subarray(at + 46, at + 46 + nameLength))
    }
    list.push(entry)
    at += 46 + skip
  }
  return list
}

/** Entries this small (compressed, and four times this inflated) are read and inflated whole; larger ones are streamed. */
const SMALL_ENTRY = 256 << 10
/**
 * A large entry's pieces, read and inflated: each is a round trip through the thread pool, which
 * at node's defaults (64 KiB read, 16 KiB inflated) came to thousands for one large module.
 */
const STREAM_CHUNK = 256 << 10
/** Room for a local header's extra field, usually as long as the directory's (often none). */
const HEADER_SLACK = 64

/**
 * The sha256 of an entry's content; with `out`, the content is written there too. A small entry
 * is read into `scratch` (reused for each entry of a zip), and inflated into a buffer of its own
 * size: with node's default, each file cost a 16 KiB buffer whatever its size, and the garbage
 * of tens of thousands of them kept the collector busy and the heap large.
 */
async function contentHash(file: string, fd: number, entry: Entry, scratch: Buffer, out?: TreeWriter): Promise<string> {
  const hash = createHash('sha256')
  if (entry.compressedSize === 0) {
    if (entry.size !== 0) throw new Error(`${entry.name.toString()} is shorter than the zip says`)
    return hash.digest('hex')
  }
  let size = 0
  const take = (chunk: Buffer) => {
    size += chunk.length
    if (size > entry.size) throw new Error(`${entry.name.toString()} is larger than the zip says`)
    hash.update(chunk)
    out?.write(chunk)
  }
  if (entry.method !== 8 && entry.method !== 0) throw new Error(`compression method ${entry.method} is left to go`)
  // One positioned read for the local header and, for a small entry, its data: a read per
  // header would cost a thread-pool round trip per file.
  // Small both ways: a highly compressed entry is streamed too, so no inflated file is whole in memory.
  const small = entry.compressedSize <= SMALL_ENTRY && entry.size <= 4 * SMALL_ENTRY
  const guess = 30 + entry.name.length + HEADER_SLACK
  const head = readAt(fd, entry.localOffset, small ? guess + entry.compressedSize : 30, true, scratch)
  if (head.length < 30 || head.readUInt32LE(0) !== LOCAL) throw new Error('corrupt local header')
  const dataAt = 30 + head.readUInt16LE(26) + head.readUInt16LE(28)
  if (small) {
    const raw = dataAt + entry.compressedSize <= head.length ? head.subarray(dataAt, dataAt + entry.compressedSize) : readAt(fd, entry.localOffset + dataAt, entry.compressedSize)
    // A byte to spare: an output that fills its buffer exactly makes zlib allocate another.
    take(entry.method === 8 ? inflateRawSync(raw, { chunkSize: Math.max(64, entry.size + 1), maxOutputLength: Math.max(1, entry.size) + 1 }) : raw)
  } else {
    const start = entry.localOffset + dataAt
    const raw = createReadStream(file, { start, end: start + entry.compressedSize - 1, highWaterMark: STREAM_CHUNK })
    const sink = async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) take(chunk)
    }
    if (entry.method === 8) await pipeline(raw, createInflateRaw({ chunkSize: STREAM_CHUNK }), sink)
    else await pipeline(raw, sink)
  }
  if (size !== entry.size) throw new Error(`${entry.name.toString()} is shorter than the zip says`)
  return hash.digest('hex')
}

/** The h1: hash of the zip at `file`; throws on a zip that is broken or not one go would read. */
export async function zipFileHash(file: string): Promise<string> {
  return (await hashZip(file)).hash
}

/**
 * The h1: hash of the zip at `file`, its files written under `into.dir` on the way (zip-extract.ts).
 * `dirs` lists the directories made, deepest first; it is absent when the zip was only hashed,
 * because go's checks might refuse it. The caller removes `into.dir` unless it keeps it.
 */
export async function hashZip(file: string, into?: ExtractTarget): Promise<{ hash: string; dirs?: string[] }> {
  const fd = openSync(file, 'r')
  try {
    const list = entries(fd)
    if (list.reduce((n, e) => n + e.size, 0) > MAX_UNZIPPED) throw new Error('unzipped size over 500 MiB')
    const paths = into && extractionPaths(list.map(e => e.name.toString()), into.prefix)
    const out = paths && new TreeWriter(into.dir)
    const hashed: { name: Buffer; sha256Hex: string }[] = []
    const scratch = Buffer.allocUnsafe(SMALL_ENTRY + 30 + 0xffff + HEADER_SLACK)
    for (const [i, entry] of list.entries()) {
      const rel = paths?.[i]
      if (rel !== undefined) out?.open(rel)
      try {
        hashed.push({ name: entry.name, sha256Hex: await contentHash(file, fd, entry, scratch, rel === undefined ? undefined : out) })
      } finally {
        out?.close()
      }
    }
    return { hash: hash1(hashed), ...(out && out.failed === undefined ? { dirs: out.dirs() } : {}) }
  } finally {
    closeSync(fd)
  }
}
