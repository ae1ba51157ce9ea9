// Positioned, synchronous reads of a zip on disk, shared by its hashing (zip-hash.ts) and its
// inflating (inflater.ts).
import { readSync } from 'node:fs'

/** `length` bytes at `offset`; with `upTo`, fewer where the file ends sooner. Read into `scratch` when it is large enough. */
export function readAt(fd: number, offset: number, length: number, upTo = false, scratch?: Buffer): Buffer {
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
