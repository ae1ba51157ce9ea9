// A module universe with a real dependency graph, for comparing the action's download set with
// go's: modules at several versions, some at go ≥ 1.17 (pruned), some older (unpruned), each
// package importing the packages of the modules it requires, served in GOPROXY layout.
import { zipSync } from 'fflate'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { escapePath } from '../../src/module/path.ts'

export interface GraphModule {
  /** The last path element is the package name. */
  path: string
  version: string
  go: string
  requires?: string[]
  /** The requirements whose packages its package imports (default: all); a requirement it does not import is in the graph but not the build. */
  imports?: string[]
  /** The path its go.mod declares, when it differs (a fork that replaces another module). */
  declares?: string
}

export const pkgName = (modulePath: string) => (modulePath.split('/').at(-1) as string).replace(/[^a-z0-9]/g, '')

export function goModText(modulePath: string, go: string, requires: string[]): string {
  const require = requires.length ? `\nrequire (\n${requires.map(r => `\t${r.replace('@', ' ')}\n`).join('')})\n` : ''
  return `module ${modulePath}\n\ngo ${go}\n${require}`
}

/** A package that imports the packages of `requires` (path@version each). */
export function packageSource(modulePath: string, requires: string[]): string {
  const imports = requires.map(r => r.split('@')[0] as string)
  const body = imports.map(i => `\t_ = ${pkgName(i)}.Name()\n`).join('')
  return `package ${pkgName(modulePath)}\n\n${imports.length ? `import (\n${imports.map(i => `\t"${i}"\n`).join('')})\n\n` : ''}func Name() string {\n${body}\treturn "${modulePath}"\n}\n`
}

export function writeGraphUniverse(proxyDir: string, modules: GraphModule[]): void {
  const lists = new Map<string, string[]>()
  for (const m of modules) {
    const dir = path.join(proxyDir, escapePath(m.path), '@v')
    mkdirSync(dir, { recursive: true })
    const declared = m.declares ?? m.path
    const goMod = goModText(declared, m.go, m.requires ?? [])
    const prefix = `${m.path}@${m.version}/`
    const zip = zipSync({ [`${prefix}go.mod`]: Buffer.from(goMod), [`${prefix}${pkgName(declared)}.go`]: Buffer.from(packageSource(declared, m.imports ?? m.requires ?? [])) })
    writeFileSync(path.join(dir, `${m.version}.mod`), goMod)
    writeFileSync(path.join(dir, `${m.version}.zip`), zip)
    writeFileSync(path.join(dir, `${m.version}.info`), JSON.stringify({ Version: m.version, Time: '2024-01-01T00:00:00Z' }))
    lists.set(dir, [...(lists.get(dir) ?? []), m.version])
  }
  for (const [dir, versions] of lists) writeFileSync(path.join(dir, 'list'), versions.join('\n') + '\n')
}
