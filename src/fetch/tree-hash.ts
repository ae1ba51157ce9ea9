// go.sum's h1: hash of an extracted module tree (what `go mod verify` computes with dirhash's
// HashDir): every file under the tree, named `<module>@<version>/<path>`, hashed as in the zip.
// A module zip holds only regular files, so anything else in a tree (a symlink, a FIFO, a
// device) means the tree is not what its zip made, and is refused rather than followed or
// opened: the walk opens each directory and file without following a link or blocking, and
// judges each by what its descriptor is (confined.ts).
import { createHash } from 'node:crypto'
import { closeSync, readSync, readdirSync } from 'node:fs'
import { type Dir, kindOf, openDirAt, openRegular } from '../util/confined.ts'
import { hash1 } from '../module/gosum.ts'

const CHUNK = 1 << 20

/** The sha256 (hex) of an open file, read in chunks so that no large file is ever whole in memory; closes it. */
function fileSha256(fd: number, buffer: Buffer): string {
  const hash = createHash('sha256')
  try {
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n))
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}

/** The h1: hash of the tree at `dir`, its files named `<prefix>/<relative path>`; throws on anything that is not a directory or a regular file. */
export function treeHash(dir: string, prefix: string): string {
  const buffer = Buffer.allocUnsafe(CHUNK)
  const files: { name: Buffer; sha256Hex: string }[] = []
  const walk = (at: Dir, sub: string) => {
    for (const entry of readdirSync(at.path, { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name
      const inner = entry.isDirectory() ? openDirAt(at.entry(entry.name)) : undefined
      if (inner) {
        try {
          walk(inner, rel)
        } finally {
          inner.close()
        }
        continue
      }
      let fd: number
      try {
        fd = openRegular(at.entry(entry.name))
      } catch (e) {
        throw new Error(`${prefix}/${rel} is ${(e as Error).message}`, { cause: e })
      }
      files.push({ name: Buffer.from(`${prefix}/${rel}`), sha256Hex: fileSha256(fd, buffer) })
    }
  }
  const root = openDirAt(dir)
  if (!root) throw new Error(`${prefix} is ${kindOf(dir) ?? 'missing'}, not a directory`)
  try {
    walk(root, '')
  } finally {
    root.close()
  }
  return hash1(files)
}
