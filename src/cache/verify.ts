// The check of the module cache the step starts from, restored or left on the runner: go trusts
// a zip whose .ziphash text matches go.sum and never rehashes it, nor the tree it extracted. So
// every zip, extracted tree and .mod that go.sum names is hashed here as go's dirhash does; one
// that does not match, or cannot be read, is thrown away (the download fetches it again through
// the healthy candidates). Files go.sum does not name are left alone: another project may own them.
import { promises as fs } from 'node:fs'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import { makeDirsWritable } from '../files.ts'
import { Hashers } from '../fetch/hashers.ts'
import { goModHash, type SumLine } from '../module/gosum.ts'
import { type Check, checksFor, downloadBase, treePath } from '../module/vouched.ts'

export interface Discarded {
  module: string
  version: string
  why: string
}

export interface VerifyReport {
  zips: number
  trees: number
  mods: number
  discarded: Discarded[]
  /** Zips that matched go.sum but whose .ziphash did not say so (missing or wrong): rewritten. */
  repaired: number
  durationMs: number
}

const WHAT = { zip: 'zip', tree: 'extracted tree', mod: 'go.mod' }

/** `checked`: paths (relative to modcache) already checked elsewhere, not hashed again. */
export async function verifyModuleCache(modcache: string, lines: SumLine[], options: { checked?: ReadonlySet<string> } = {}): Promise<VerifyReport> {
  const started = performance.now()
  const present = (await Promise.all(checksFor(lines).filter(c => !options.checked?.has(c.path)).map(async c => ((await exists(path.join(modcache, c.path))) ? c : undefined)))).filter(c => c !== undefined)
  // Nothing else runs yet: a thread per core.
  const hashers = new Hashers(Math.max(1, Math.min(4, availableParallelism())))
  const report: VerifyReport = { zips: 0, trees: 0, mods: 0, discarded: [], repaired: 0, durationMs: 0 }
  try {
    const problems = await Promise.all(present.map(c => problemWith(c, modcache, hashers)))
    // One line per module version, however many of its files failed.
    const discarded = new Map<string, Discarded>()
    for (const [i, check] of present.entries()) {
      report[`${check.what}s`]++
      const problem = problems[i]
      if (problem) {
        await discard(modcache, check)
        const id = `${check.module}@${check.version}`
        const known = discarded.get(id)
        if (known) known.why += `; ${problem}`
        else discarded.set(id, { module: check.module, version: check.version, why: problem })
      } else if (check.what === 'zip' && (await keepZipHash(modcache, check))) report.repaired++
    }
    report.discarded = [...discarded.values()]
  } finally {
    await hashers.close()
  }
  report.durationMs = performance.now() - started
  return report
}

/** Why the file or tree does not hold what go.sum vouches for; undefined when it does. */
async function problemWith(check: Check, modcache: string, hashers: Hashers): Promise<string | undefined> {
  const full = path.join(modcache, check.path)
  try {
    const hash =
      check.what === 'zip' ? await hashers.zip(full) : check.what === 'tree' ? await hashers.tree(full, `${check.module}@${check.version}`) : goModHash(await fs.readFile(full))
    return hash === check.hash ? undefined : `${WHAT[check.what]} does not match go.sum`
  } catch (e) {
    return `${WHAT[check.what]} unreadable: ${(e as Error).message}`
  }
}

/** Removes what failed its check, and what go would otherwise take from it: a bad zip's .ziphash and tree. */
async function discard(modcache: string, check: Check): Promise<void> {
  const base = path.join(modcache, downloadBase(check.module, check.version))
  const tree = path.join(modcache, treePath(check.module, check.version))
  const doomed = check.what === 'mod' ? [`${base}.mod`] : check.what === 'tree' ? [tree] : [`${base}.zip`, `${base}.ziphash`, `${base}.info`, tree]
  for (const target of doomed) {
    // go leaves extracted trees read-only.
    await makeDirsWritable(target)
    await fs.rm(target, { recursive: true, force: true })
  }
}

/** Writes the .ziphash go compares with go.sum when it is missing or wrong beside a zip that matched; true when it did. */
async function keepZipHash(modcache: string, check: Check): Promise<boolean> {
  const file = path.join(modcache, `${downloadBase(check.module, check.version)}.ziphash`)
  const text = await fs.readFile(file, 'utf8').catch(() => undefined)
  if (text?.trim() === check.hash) return false
  await fs.writeFile(file, check.hash)
  return true
}

const exists = (file: string) => fs.lstat(file).then(() => true, () => false)
