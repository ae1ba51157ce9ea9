// go.sum's h1: hash of an extracted module tree (what `go mod verify` computes with dirhash's
// HashDir): every file under the tree, named `<module>@<version>/<path>`, hashed as in the zip.
// A module zip holds only regular files, so anything else in a tree (a symlink, a device) means
// the tree is not what its zip made, and is refused rather than followed.
import { createHash } from 'node:crypto'
import { closeSync, lstatSync, openSync, readSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { hash1 } from '../module/gosum.ts'

const CHUNK = 1 << 20

/** The sha256 (hex) of a file, read in chunks so that no large file is ever whole in memory. */
function fileSha256(file: string, buffer: Buffer): string {
  const hash = createHash('sha256')
  const fd = openSync(file, 'r')
  try {
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n))
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}

/** The h1: hash of the tree at `dir`, its files named `<prefix>/<relative path>`; throws on a file that is not regular. */
export function treeHash(dir: string, prefix: string): string {
  const buffer = Buffer.allocUnsafe(CHUNK)
  const files: { name: Buffer; sha256Hex: string }[] = []
  const walk = (sub: string) => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name
      const full = path.join(dir, rel)
      if (entry.isDirectory()) walk(rel)
      else if (entry.isFile() && lstatSync(full).isFile()) files.push({ name: Buffer.from(`${prefix}/${rel}`), sha256Hex: fileSha256(full, buffer) })
      else throw new Error(`${prefix}/${rel} is not a regular file`)
    }
  }
  walk('')
  return hash1(files)
}
