// go.sum's h1: hash of a module zip on disk (dirhash.HashZip): sha256 of each file's content,
// then sha256 over `<hex>  <name>\n` lines in name order. The zip is read from disk entry by
// entry, synchronously: an asynchronous read or inflate costs a thread-pool round trip each,
// which for tens of thousands of small files costs more than the inflating. So the fetch runs
// this in a worker thread (hashers.ts), and on its main thread only when no thread can run. Large
// entries are read and inflated a piece at a time (inflater.ts), so neither the zip nor a file of
// it is ever whole in memory.
import { createHash } from 'node:crypto'
import { closeSync, fstatSync } from 'node:fs'
import { openRegular } from '../util/confined.ts'
import { hash1 } from '../module/gosum.ts'
import { Inflater } from './inflater.ts'
import { readAt } from './read-at.ts'
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
/** Go refuses module zips whose files add up to more than this, and zips larger than this (MaxZipFile); so does the hash. */
const MAX_UNZIPPED = 500 << 20
const MAX_ZIP_FILE = 500 << 20

function entries(fd: number): Entry[] {
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

/** Entries this small (compressed) are read with their local header in one call; larger ones are read a piece at a time. */
const SMALL_ENTRY = 256 << 10
/** Room for a local header's extra field, usually as long as the directory's (often none). */
const HEADER_SLACK = 64

/** The thread's reusable buffers, made on first use: hashing is synchronous, so one call has them at a time. */
let tools: { inflater: Inflater; scratch: Buffer } | undefined
const toolsOfThread = () => (tools ??= { inflater: new Inflater(), scratch: Buffer.allocUnsafe(SMALL_ENTRY + 30 + 0xffff + HEADER_SLACK) })

/**
 * The sha256 of an entry's content; with `out`, the content is written there too. The entry is
 * read, inflated, hashed and written a piece at a time through buffers the thread reuses: a
 * buffer per file, as node's own calls make, left tens of MiB of garbage between collections.
 */
function contentHash(fd: number, entry: Entry, out?: TreeWriter): string {
  const { inflater, scratch } = toolsOfThread()
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
  // One positioned read for the local header and, for a small entry, its data.
  const small = entry.compressedSize <= SMALL_ENTRY
  const guess = 30 + entry.name.length + HEADER_SLACK
  const head = readAt(fd, entry.localOffset, small ? guess + entry.compressedSize : 30, true, scratch)
  if (head.length < 30 || head.readUInt32LE(0) !== LOCAL) throw new Error('corrupt local header')
  const dataAt = 30 + head.readUInt16LE(26) + head.readUInt16LE(28)
  const start = entry.localOffset + dataAt
  if (small) {
    const raw = dataAt + entry.compressedSize <= head.length ? head.subarray(dataAt, dataAt + entry.compressedSize) : readAt(fd, start, entry.compressedSize)
    if (entry.method === 8) inflater.inflate(raw, entry.size, take)
    else take(raw)
  } else if (entry.method === 8) {
    inflater.inflateFile(fd, start, entry.compressedSize, entry.size, take)
  } else {
    for (let done = 0; done < entry.compressedSize; ) {
      const piece = readAt(fd, start + done, Math.min(SMALL_ENTRY, entry.compressedSize - done), false, scratch)
      take(piece)
      done += piece.length
    }
  }
  if (size !== entry.size) throw new Error(`${entry.name.toString()} is shorter than the zip says`)
  return hash.digest('hex')
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
    const list = entries(fd)
    if (list.reduce((n, e) => n + e.size, 0) > MAX_UNZIPPED) throw new Error('unzipped size over 500 MiB')
    const paths = into && extractionPaths(list.map(e => e.name.toString()), into.prefix)
    out = paths && new TreeWriter(into)
    const hashed: { name: Buffer; sha256Hex: string }[] = []
    for (const [i, entry] of list.entries()) {
      const rel = paths?.[i]
      if (rel !== undefined) out?.open(rel)
      try {
        hashed.push({ name: entry.name, sha256Hex: contentHash(fd, entry, rel === undefined ? undefined : out) })
      } finally {
        out?.close()
      }
    }
    return { hash: hash1(hashed), ...(out && out.failed === undefined ? { dirs: out.dirs() } : {}) }
  } finally {
    closeSync(fd)
    out?.end()
  }
}
