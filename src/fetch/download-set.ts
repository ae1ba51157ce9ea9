// The files `go mod download` (no arguments) fetches, and no others, decided the way cmd/go
// decides them (modload's graph loading, modcmd's download list), pure: it is asked again as
// the .mod files it needs arrive, until nothing is missing.
//
// - The module graph: every main module's requirements are loaded (their .mod read). A
//   module whose go.mod says go ≥ 1.17 is pruned: its requirements join the graph without
//   being loaded. An older one (or any below an unpruned main module) is loaded with its whole
//   requirement closure. Requirements on versions the main modules exclude are dropped (go ≥
//   1.16); a replaced module's .mod comes from its replacement, a directory's from disk.
// - The downloads (.info, .mod, .zip): for one main module at go ≥ 1.17, the modules its go.mod
//   requires, at their selected versions; before 1.17, and in a go.work workspace, every module
//   of the build list ("all"). A module replaced by a directory downloads nothing.
import { compareGoVersions, compareVersions } from '../go/semver.ts'
import { type GoModFile, isLocalPath, type ModuleVersion, type Replacement } from '../go/gomod.ts'

export interface MainModule {
  /** Its directory, against which relative replacement paths resolve. */
  dir: string
  mod: GoModFile
}

export interface PlanInput {
  mains: MainModule[]
  /** True in go.work mode: the download list is "all". */
  workspace: boolean
  /** go.work's replacements, which win over the main modules' own. */
  workReplace: Replacement[]
  /** Where go.work lives: its replacements' relative directories are resolved from there, as go resolves them. */
  workDir?: string
}

/** What the graph needs of a module version's go.mod: its `go` line and its requirements. */
export interface ModSummary {
  go?: string
  require: ModuleVersion[]
}

/** Where a module version's go.mod comes from: a proxy (the replacement, if any), or a directory. */
export type ModSource = { kind: 'proxy'; module: ModuleVersion } | { kind: 'dir'; dir: string }

export interface Plan {
  /** go.mod files the graph still needs, keyed as `path@version` of the module as required. */
  missing: { key: string; source: ModSource }[]
  /** Once nothing is missing: the .mod files go read for the graph, as fetched from a proxy. */
  graphMods: ModuleVersion[]
  /** Once nothing is missing: the modules go downloads (.info, .mod and .zip), replacements applied. */
  downloads: ModuleVersion[]
}

const PRUNING_SINCE = '1.17'
const key = (m: ModuleVersion) => `${m.path}@${m.version}`

export function planDownloads(input: PlanInput, loaded: ReadonlyMap<string, ModSummary>): Plan {
  const mainPaths = new Set(input.mains.map(m => m.mod.module))
  const excluded = new Set(input.mains.flatMap(m => m.mod.exclude.map(key)))
  const replace = replacer(input)
  const unprunedMain = !input.workspace && compareGoVersions(input.mains[0]?.mod.go, PRUNING_SINCE) < 0

  // Graph nodes: every module version reached, with the versions it requires.
  const nodes = new Map<string, ModuleVersion>()
  const missing = new Map<string, ModSource>()
  const loadedKeys = new Set<string>()
  const seen = new Set<string>()
  const keep = (m: ModuleVersion) => m.version !== 'none' && !excluded.has(key(m)) && !mainPaths.has(m.path)

  const visit = (m: ModuleVersion, unpruned: boolean) => {
    const id = `${key(m)}|${unpruned}`
    if (seen.has(id)) return
    seen.add(id)
    nodes.set(key(m), m)
    const summary = loaded.get(key(m))
    if (!summary) {
      missing.set(key(m), source(m, replace))
      return
    }
    loadedKeys.add(key(m))
    const required = summary.require.filter(keep)
    for (const r of required) nodes.set(key(r), r)
    const summaryUnpruned = compareGoVersions(summary.go, PRUNING_SINCE) < 0
    if (unpruned || summaryUnpruned) for (const r of required) visit(r, true)
  }
  for (const main of input.mains) for (const r of main.mod.require.filter(keep)) visit(r, unprunedMain)

  const selected = new Map<string, string>()
  for (const m of nodes.values()) {
    const current = selected.get(m.path)
    if (current === undefined || compareVersions(m.version, current) > 0) selected.set(m.path, m.version)
  }
  const listed =
    input.workspace || unprunedMain
      ? [...selected.keys()]
      : [...new Set(input.mains.flatMap(m => m.mod.require.filter(r => !mainPaths.has(r.path)).map(r => r.path)))]
  const downloads = listed.flatMap(path => {
    const version = selected.get(path)
    if (version === undefined) return []
    const to = replace({ path, version })
    return to && to.kind === 'proxy' ? [to.module] : []
  })
  const graphMods = [...loadedKeys].flatMap(k => {
    const from = source(nodes.get(k) as ModuleVersion, replace)
    return from.kind === 'proxy' ? [from.module] : []
  })
  return {
    missing: [...missing].map(([k, s]) => ({ key: k, source: s })),
    graphMods: unique(graphMods),
    downloads: unique(downloads).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : compareVersions(a.version, b.version)))
  }
}

/**
 * The downloads known before any go.mod is read, so that their zips need not wait for the graph:
 * for one main module at go ≥ 1.17, the modules its go.mod requires, at the versions it lists,
 * but for those a replacement or an exclusion touches. The graph can still select a higher
 * version of one (a go.mod that go mod tidy did not write); the fetch asks only for what go.sum
 * vouches for, which holds a zip's hash only for a version go needed.
 */
export function likelyDownloads(input: PlanInput): ModuleVersion[] {
  const main = input.mains[0]
  if (input.workspace || input.mains.length !== 1 || !main || compareGoVersions(main.mod.go, PRUNING_SINCE) < 0) return []
  const touched = new Set([...input.workReplace, ...main.mod.replace].map(r => r.from.path))
  const excluded = new Set(main.mod.exclude.map(key))
  return unique(main.mod.require.filter(r => r.version !== 'none' && r.path !== main.mod.module && !touched.has(r.path) && !excluded.has(key(r))))
}

function unique(list: ModuleVersion[]): ModuleVersion[] {
  return [...new Map(list.map(m => [key(m), m])).values()]
}

type Replace = (m: ModuleVersion) => ModSource | undefined

/** go.work's replacements over the main modules'; a version-specific one over a path-wide one. */
function replacer(input: PlanInput): Replace {
  const rules = [...input.workReplace.map(r => ({ r, dir: input.workDir ?? '' })), ...input.mains.flatMap(m => m.mod.replace.map(r => ({ r, dir: m.dir })))]
  return m => {
    const rule = rules.find(({ r }) => r.from.path === m.path && r.from.version === m.version) ?? rules.find(({ r }) => r.from.path === m.path && r.from.version === undefined)
    if (!rule) return { kind: 'proxy', module: m }
    const to = rule.r.to
    if (isLocalPath(to.path) || to.version === undefined) return { kind: 'dir', dir: to.path.startsWith('/') || !rule.dir ? to.path : `${rule.dir}/${to.path}` }
    return { kind: 'proxy', module: { path: to.path, version: to.version } }
  }
}

function source(m: ModuleVersion, replace: Replace): ModSource {
  return replace(m) ?? { kind: 'proxy', module: m }
}
