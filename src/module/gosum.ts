// go.sum lines and the `h1:` hashes go records: of a module's go.mod, and of its zip.
import { createHash } from 'node:crypto'
import { modulePathProblem } from './path.ts'
import { isCanonicalVersion } from './version.ts'

export interface SumLine {
  module: string
  version: string
  /** True for the `<version>/go.mod` line, whose hash covers only the .mod file. */
  goMod: boolean
  hash: string
}

/**
 * The lines go could have written: a module path and a canonical version by go's rules (go
 * writes no other), so that nothing built from them names a file outside the module cache.
 */
export function parseGoSum(text: string): SumLine[] {
  const lines: SumLine[] = []
  for (const raw of text.split('\n')) {
    const fields = raw.trim().split(/\s+/)
    if (fields.length !== 3) continue
    const [module, versionField, hash] = fields as [string, string, string]
    if (!hash.startsWith('h1:')) continue
    const goMod = versionField.endsWith('/go.mod')
    const version = goMod ? versionField.slice(0, -'/go.mod'.length) : versionField
    if (modulePathProblem(module) !== undefined || !isCanonicalVersion(version)) continue
    lines.push({ module, version, goMod, hash })
  }
  return lines
}

/** Files as dirhash sees them, by index: each one's name and the sha256 of its content (hex). */
export interface HashedFiles {
  count: number
  name(i: number): Buffer
  /** Byte order of two files' names, as Buffer.compare. */
  compare(a: number, b: number): number
  sha256Hex(i: number): string
}

/**
 * dirhash's Hash1 from each file's name and the sha256 of its content (hex): a sha256 over
 * `<hex>  <name>\n` lines in byte order of the names, as go sorts them.
 */
export function hash1(files: { name: Buffer; sha256Hex: string }[]): string {
  const at = (i: number) => files[i] as { name: Buffer; sha256Hex: string }
  return hash1Of({ count: files.length, name: i => at(i).name, compare: (a, b) => Buffer.compare(at(a).name, at(b).name), sha256Hex: i => at(i).sha256Hex })
}

/** hash1, over files a caller keeps as it likes (zip-hash.ts keeps a whole zip's in a few arrays). */
export function hash1Of(files: HashedFiles): string {
  const summary = createHash('sha256')
  const order = Array.from({ length: files.count }, (_, i) => i).sort((a, b) => files.compare(a, b))
  for (const [k, i] of order.entries()) {
    const name = files.name(i)
    if (name.includes(0x0a)) throw new Error(`file name with a newline: ${JSON.stringify(name.toString())}`)
    // go's HashZip reads a name's last entry for each of its lines (and Unzip refuses such a zip): sorted, a name twice is side by side.
    if (k > 0 && files.compare(order[k - 1] as number, i) === 0) throw new Error(`${name.toString()} is in the zip twice`)
    summary.update(`${files.sha256Hex(i)}  `).update(name).update('\n')
  }
  return `h1:${summary.digest('base64')}`
}

/** Hash1 over a single file named go.mod whose content's sha256 is `sha256Hex`: what go.sum's `/go.mod` lines hold. */
export function goModHashOfSha256(sha256Hex: string): string {
  return hash1([{ name: Buffer.from('go.mod'), sha256Hex }])
}

/** Hash1 over a go.mod's content. */
export function goModHash(content: Uint8Array): string {
  return goModHashOfSha256(createHash('sha256').update(content).digest('hex'))
}

/** The `/go.mod` line whose .mod every candidate is asked for; the same for all, so latencies compare. */
export function probeTarget(lines: SumLine[], isPrivate: (module: string) => boolean): SumLine | undefined {
  return lines
    .filter(l => l.goMod && !isPrivate(l.module))
    .sort((a, b) => byCodeUnits(a.module, b.module) || byCodeUnits(a.version, b.version))[0]
}

/** A fixed order of strings without ICU's collation, which localeCompare pages in (about 3 MiB of the step's memory) for nothing: any fixed order does here. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
