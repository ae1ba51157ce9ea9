// What of a module cache an entry may carry, and what moves into the module cache from one: the
// files go.sum vouches for, once they pass their check. A restored entry is checked where it was
// unpacked, before anything moves; a save stages a file only if it holds what it must. Hashes
// cover zips, trees and .mod files (verify.ts); .info and .ziphash files are checked here for
// what go writes in them, since nothing else covers them.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { SumLine } from '../module/gosum.ts'
import type { CacheContents } from '../engine/inputs.ts'
import { MAX_BYTES } from '../module/limits.ts'
import { infoProblem } from '../module/matches.ts'
import { checksFor, downloadBase, savedPaths } from '../module/vouched.ts'
import { readableError, readBelow } from '../util/confined.ts'
import type { Admit } from './staging.ts'
import { type VerifyReport, verifyModuleCache } from './verify.ts'

/**
 * What of a restored entry moves into the module cache: the files and trees go.sum vouches for
 * (savedPaths), each once it passed the check in the entry's folder (verifyModuleCache hashes
 * zips, trees and .mod files and deletes those that fail; admitFor checks .info and .ziphash).
 */
export async function vouchedIn(dir: string, lines: SumLine[], contents: CacheContents): Promise<{ paths: string[]; verify: VerifyReport }> {
  // No go works in the entry's folder: a .partial marker there lets nothing in unchecked.
  const verify = await verifyModuleCache(dir, lines, { alone: true })
  const hashed = new Set(checksFor(lines).map(c => c.path))
  const admit = admitFor(lines)
  const paths: string[] = []
  for (const rel of savedPaths(lines, contents)) {
    const stat = await fs.lstat(path.join(dir, rel)).catch(() => undefined)
    if (!stat) continue
    if (hashed.has(rel)) paths.push(rel)
    // A .mod with no `/go.mod` line in go.sum: nothing vouches for it.
    else if (!/\.(info|ziphash)$/.test(rel)) continue
    // A .ziphash says its zip was checked: without that zip, it says nothing.
    else if (rel.endsWith('.ziphash') && !paths.includes(rel.slice(0, -'hash'.length))) continue
    else {
      const why = await admit(rel, dir, stat)
      if (why === undefined) paths.push(rel)
      else {
        const [module, version] = versionOf(lines, rel)
        verify.discarded.push({ module, version, why })
      }
    }
  }
  return { paths, verify }
}


/**
 * What the small files go.sum's hashes do not cover must hold: an .info is what go writes for
 * its version (infoProblem), a .ziphash is go.sum's hash of the zip beside it. A file that holds
 * anything else (another file's contents, linked or copied in) is neither saved nor restored.
 * Other paths pass.
 */
export function admitFor(lines: SumLine[]): Admit {
  const expected = new Map<string, { version: string; ziphash?: string }>()
  for (const { module, version, goMod, hash } of lines) {
    const base = downloadBase(module, version)
    expected.set(`${base}.info`, { version })
    if (!goMod) expected.set(`${base}.ziphash`, { version, ziphash: hash })
  }
  return async (rel, root, stat) => {
    const rule = expected.get(rel)
    if (!rule) return undefined
    if (stat.size > MAX_BYTES.info) return `${path.extname(rel)} of ${stat.size} bytes`
    // Read again as what it was checked to be: another user of the module cache may have put a
    // FIFO in its place (a read of one waits for a writer) or a link on its way since.
    let text: string
    try {
      text = readBelow(root, rel, MAX_BYTES.info).toString('utf8')
    } catch (e) {
      return `unreadable: ${readableError(e)}`
    }
    if (rule.ziphash === undefined) return infoProblem(text, rule.version)
    return text.trim() === rule.ziphash ? undefined : '.ziphash is not go.sum’s hash of the zip'
  }
}

function versionOf(lines: SumLine[], rel: string): [string, string] {
  const line = lines.find(l => rel.startsWith(`${downloadBase(l.module, l.version)}.`))
  return line ? [line.module, line.version] : [rel, '']
}
