// A module that builds from vendor/ needs nothing from a module proxy: go (1.14 and later, for a
// go.mod at go 1.14 or later) uses vendor/modules.txt by default unless -mod says otherwise, and
// checks at every load that it agrees with go.mod.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { output } from '../util/process.ts'
import { goflagsFields } from './goflags.ts'
import { compareGoVersions } from './semver.ts'

export interface VendorFacts {
  hasModulesTxt: boolean
  /** go.mod's `go` line. */
  goLine: string | undefined
  /** What `go env GOFLAGS` reports. */
  goflags: string
  /** A go.work is in effect: its modules' vendor directories are not this rule's. */
  workspace: boolean
}

/** Whether go builds this module from vendor/, as cmd/go decides its default -mod. */
export function buildsFromVendor(facts: VendorFacts): boolean {
  if (!facts.hasModulesTxt || facts.workspace) return false
  const mod = goflagsFields(facts.goflags)
    .map(f => /^--?mod=(.*)$/.exec(f)?.[1])
    .filter(v => v !== undefined)
    .at(-1)
  if (mod !== undefined) return mod === 'vendor'
  return compareGoVersions(facts.goLine, '1.14') >= 0
}

export const hasModulesTxt = (dir: string) => existsSync(path.join(dir, 'vendor', 'modules.txt'))

/** Loads the main module offline: go refuses vendor/modules.txt that disagrees with go.mod, and says why. */
export async function vendorConsistent(go: string, dir: string, env: Record<string, string>): Promise<{ ok: boolean; why: string }> {
  const { code, stderr } = await output(go, ['list', '-m'], { cwd: dir, env: { ...env, GOPROXY: 'off' } })
  return { ok: code === 0, why: stderr.trim() }
}
