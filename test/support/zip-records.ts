// Zip records written byte by byte, for zips no zip writer would make: the tests of our zip
// reading lay them out by hand (entries beyond the end record's count, a second central
// directory, zip64 records, data descriptors) to see that the hash sees what go sees.
import { crc32 } from 'node:zlib'

/** One file as its records describe it. */
export interface RecordedFile {
  name: string
  /** Its content as read back. */
  data: Buffer
  /** Its bytes as stored: `data` unless deflated. */
  raw?: Buffer
  /** 0 stored, 8 deflated. */
  method?: number
  /** Sizes and CRC-32 in a data descriptor after the bytes, not in the local header (flag bit 3). */
  descriptor?: boolean
}

const rawOf = (f: RecordedFile) => f.raw ?? f.data

/** A local file header and its name; the file's bytes follow it, written by the caller. */
export function localHeader(f: RecordedFile): Buffer {
  const name = Buffer.from(f.name)
  const header = Buffer.alloc(30)
  header.writeUInt32LE(0x04034b50, 0)
  header.writeUInt16LE(20, 4)
  header.writeUInt16LE(f.descriptor ? 8 : 0, 6)
  header.writeUInt16LE(f.method ?? 0, 8)
  if (!f.descriptor) {
    header.writeUInt32LE(crc32(f.data), 14)
    header.writeUInt32LE(rawOf(f).length, 18)
    header.writeUInt32LE(f.data.length, 22)
  }
  header.writeUInt16LE(name.length, 26)
  return Buffer.concat([header, name])
}

/** A stored file whole: its local header, name and bytes. */
export const localRecord = (name: string, data: Buffer) => Buffer.concat([localHeader({ name, data }), data])

/** A central directory entry for `f`, its local header at `offset`, with `extra` and `comment` after its name. */
export function centralRecord(f: RecordedFile, offset: number, more: { extra?: Buffer; comment?: Buffer } = {}): Buffer {
  const name = Buffer.from(f.name)
  const extra = more.extra ?? Buffer.alloc(0)
  const comment = more.comment ?? Buffer.alloc(0)
  const record = Buffer.alloc(46)
  record.writeUInt32LE(0x02014b50, 0)
  record.writeUInt16LE(20, 4)
  record.writeUInt16LE(20, 6)
  record.writeUInt16LE(f.descriptor ? 8 : 0, 8)
  record.writeUInt16LE(f.method ?? 0, 10)
  record.writeUInt32LE(crc32(f.data), 16)
  record.writeUInt32LE(rawOf(f).length, 20)
  record.writeUInt32LE(f.data.length, 24)
  record.writeUInt16LE(name.length, 28)
  record.writeUInt16LE(extra.length, 30)
  record.writeUInt16LE(comment.length, 32)
  record.writeUInt32LE(offset >>> 0, 42)
  return Buffer.concat([record, name, extra, comment])
}

/** The end of central directory record: `count` entries (in 16 bits, as the format has it), a directory of `size` bytes at `offset`, a comment of `commentLength` bytes (not written here). */
export function endRecord(count: number, size: number, offset: number, commentLength = 0): Buffer {
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(count & 0xffff, 8)
  end.writeUInt16LE(count & 0xffff, 10)
  end.writeUInt32LE(size, 12)
  end.writeUInt32LE(offset, 16)
  end.writeUInt16LE(commentLength, 20)
  return end
}

/** A zip64 end of central directory record: `count` entries, a directory of `size` bytes at `offset`. */
export function zip64End(count: number, size: number, offset: number): Buffer {
  const end64 = Buffer.alloc(56)
  end64.writeUInt32LE(0x06064b50, 0)
  end64.writeBigUInt64LE(44n, 4)
  end64.writeUInt16LE(45, 12)
  end64.writeUInt16LE(45, 14)
  end64.writeBigUInt64LE(BigInt(count), 24)
  end64.writeBigUInt64LE(BigInt(count), 32)
  end64.writeBigUInt64LE(BigInt(size), 40)
  end64.writeBigUInt64LE(BigInt(offset), 48)
  return end64
}

/** The zip64 locator of a zip64 end record at `end64At`. */
export function zip64Locator(end64At: number): Buffer {
  const locator = Buffer.alloc(20)
  locator.writeUInt32LE(0x07064b50, 0)
  locator.writeBigUInt64LE(BigInt(end64At), 8)
  locator.writeUInt32LE(1, 16)
  return locator
}

/** A zip's bytes as they are put, each piece's offset returned. */
export class ZipBytes {
  private readonly pieces: Buffer[] = []
  at = 0
  put(piece: Buffer): number {
    this.pieces.push(piece)
    this.at += piece.length
    return this.at - piece.length
  }
  bytes(): Buffer {
    return Buffer.concat(this.pieces)
  }
}
