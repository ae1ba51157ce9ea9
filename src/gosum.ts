// go.sum lines and the `h1:` hash go records for a module's go.mod.
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

/** dirhash's Hash1 over a single file named go.mod: what go.sum's `/go.mod` lines hold. */
export function goModHash(content: Uint8Array): string {
  const summary = `${sha256(content).digest('hex')}  go.mod\n`
  return `h1:${sha256(summary).digest('base64')}`
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
