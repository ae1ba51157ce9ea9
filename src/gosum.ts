// go.sum lines and the `h1:` hashes go records: of a module's go.mod, and of its zip.
import { unzipSync } from 'fflate'
import { createHash } from 'node:crypto'

export interface SumLine {
  module: string
  version: string
  /** True for the `<version>/go.mod` line, whose hash covers only the .mod file. */
  goMod: boolean
  hash: string
}

export function parseGoSum(text: string): SumLine[] {
  const lines: SumLine[] = []
  for (const raw of text.split('\n')) {
    const fields = raw.trim().split(/\s+/)
    if (fields.length !== 3) continue
    const [module, versionField, hash] = fields as [string, string, string]
    if (!hash.startsWith('h1:')) continue
    const goMod = versionField.endsWith('/go.mod')
    const version = goMod ? versionField.slice(0, -'/go.mod'.length) : versionField
    lines.push({ module, version, goMod, hash })
  }
  return lines
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data)

/** dirhash's Hash1: a sha256 over `<sha256 hex>  <name>\n` for each file, by name. */
function hash1(files: [name: string, content: Uint8Array][]): string {
  const summary = [...files]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, content]) => {
      if (name.includes('\n')) throw new Error(`file name with a newline: ${JSON.stringify(name)}`)
      return `${sha256(content).digest('hex')}  ${name}\n`
    })
    .join('')
  return `h1:${sha256(summary).digest('base64')}`
}

/** Hash1 over a single file named go.mod: what go.sum's `/go.mod` lines hold. */
export function goModHash(content: Uint8Array): string {
  return hash1([['go.mod', content]])
}

/** Hash1 over every file of a module zip, named as in the zip: what go.sum's module lines hold. Throws on a broken zip. */
export function zipHash(zip: Uint8Array): string {
  return hash1(Object.entries(unzipSync(zip)))
}

/** The module proxy protocol's case encoding: each capital letter becomes `!` + its lower case. */
export function escapePath(path: string): string {
  return path.replace(/[A-Z]/g, c => `!${c.toLowerCase()}`)
}

/** The `/go.mod` line whose .mod every candidate is asked for; the same for all, so latencies compare. */
export function probeTarget(lines: SumLine[], isPrivate: (module: string) => boolean): SumLine | undefined {
  return lines
    .filter(l => l.goMod && !isPrivate(l.module))
    .sort((a, b) => (a.module === b.module ? a.version.localeCompare(b.version) : a.module < b.module ? -1 : 1))[0]
}
