// A cache entry's archive, unpacked into its folder and nowhere else. @actions/cache extracts an
// entry with `tar -P` relative to the workspace and checks nothing, and an entry can be saved by
// any workflow with write access to the repository's cache: an absolute member, a `../` one, a
// link or a device was written wherever it pointed. Here each member is judged by its header
// before a byte of it is written: only regular files and directories whose names lie under the
// folder's own name are written, into files this creates; anything else is refused by name.
// The archive is read with node-tar's parser (pax and GNU headers, checksums, gzip and zstd, a
// bound on the decompression ratio), which has long read untrusted archives; writing is ours.
import { closeSync, constants, createReadStream, mkdirSync, openSync, writeSync } from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Parser, type ReadEntry } from 'tar'

export interface Refused {
  member: string
  why: string
}

export interface Unpacked {
  files: number
  bytes: number
  /** Members not written, each with the reason. */
  refused: Refused[]
}

/**
 * What the save's tar is run from (`-C`), in place of the workspace: the root of the folder's
 * file system. Members are then named by the folder's own path, whichever workspace saved or
 * restores the entry, and never hold `..`; and the `-C` argument, which @actions/cache splits
 * at spaces (actions/cache#1580), has none.
 */
export const archiveBase = (dir: string): string => path.parse(path.resolve(dir)).root

/** The name the folder has in its archive: its path from archiveBase, with `/`. */
export const memberPrefix = (dir: string): string => path.relative(archiveBase(dir), path.resolve(dir)).split(path.sep).join('/')

const KINDS: Partial<Record<ReadEntry['type'], string>> = {
  SymbolicLink: 'a symbolic link',
  Link: 'a hard link',
  CharacterDevice: 'a device',
  BlockDevice: 'a device',
  FIFO: 'a FIFO'
}

/**
 * Where a member goes, as path elements under the folder ([] for the folder itself), or why it
 * goes nowhere: an absolute name, an empty, `.` or `..` element, a backslash or NUL, or a name
 * outside the folder.
 */
export function placeOf(name: string, prefix: string): string[] | string {
  if (/[\\\0]/.test(name)) return 'a backslash or NUL in its name'
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'an absolute name'
  const elements = name.replace(/\/$/, '').split('/')
  if (elements.some(e => e === '' || e === '.' || e === '..')) return 'an empty, `.` or `..` element in its name'
  const own = prefix.split('/')
  if (own.some((e, i) => elements[i] !== e)) return 'outside the entry’s folder'
  return elements.slice(own.length)
}

/**
 * Unpacks `archive` (tar, plain, gzip or zstd) into the folder `dir` names (its members are named
 * by that path), an empty folder of this process's own, written through `into` (the same folder,
 * as its holder names it).
 */
export async function unpack(archive: string, dir: string, into = dir): Promise<Unpacked> {
  const prefix = memberPrefix(dir)
  const result: Unpacked = { files: 0, bytes: 0, refused: [] }
  const refuse = (entry: ReadEntry, why: string) => {
    result.refused.push({ member: entry.path, why })
    entry.resume()
  }
  // Everything is synchronous within a member's events: the next member is not looked at until
  // this one is on disk, and the parser waits while a write is under way.
  const parser = new Parser({
    // A header that does not parse, or a bad checksum, ends the restore: what follows is unknown.
    strict: true,
    onReadEntry: entry => {
      const place = placeOf(entry.path, prefix)
      if (typeof place === 'string') return refuse(entry, place)
      const target = path.join(into, ...place)
      if (entry.type === 'Directory') {
        try {
          mkdirSync(target, { recursive: true, mode: 0o755 })
        } catch (e) {
          return refuse(entry, `not a directory here: ${(e as NodeJS.ErrnoException).code}`)
        }
        return entry.resume()
      }
      if (entry.type !== 'File' && entry.type !== 'OldFile') return refuse(entry, KINDS[entry.type] ?? `an entry of type ${entry.type}`)
      if (place.length === 0) return refuse(entry, 'not a directory')
      let fd: number
      try {
        mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 })
        // A new file, never one already there (a second member of the same name), never through a link.
        fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o644)
      } catch (e) {
        return refuse(entry, `cannot be written here: ${(e as NodeJS.ErrnoException).code}`)
      }
      result.files++
      entry.on('data', (chunk: Buffer) => {
        try {
          writeSync(fd, chunk)
          result.bytes += chunk.length
        } catch (e) {
          parser.abort(e as Error)
        }
      })
      entry.on('end', () => closeSync(fd))
    }
  })
  // Types the parser does not know, and oversized headers: skipped by it, refused by name here.
  parser.on('ignoredEntry', (entry: ReadEntry) => result.refused.push({ member: entry.path, why: `an entry of type ${entry.type}` }))
  await pipeline(createReadStream(archive), parser as unknown as NodeJS.WritableStream)
  return result
}
