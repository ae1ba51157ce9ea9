// A module universe made for the tests: module zips in a GOPROXY directory layout, and a
// sample module that requires them all, whose go.sum go itself writes.
import { zipSync } from 'fflate'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { escapePath } from '../../src/module/path.ts'
import { go, offlineGoEnv } from './go.ts'

/** Suffix of the valid-but-altered zip a tampering proxy serves instead. */
export const TAMPERED = '.tampered'

export interface Module {
  path: string
  version: string
  pkg: string
}

export interface Universe {
  /** GOPROXY layout: <escaped path>/@v/{list,<v>.info,<v>.mod,<v>.zip}. */
  proxyDir: string
  modules: Module[]
  /** A module that imports every package of the universe, with go.mod and go.sum. */
  sampleDir: string
}

export interface UniverseOptions {
  count: number
  /** Bytes of source per module (default 2 KiB), or `spread` for a realistic mix of sizes. */
  sourceBytes?: number | 'spread'
  /** Module paths are `<prefix>/mNNN` (default example.com/fixture; the first gets a capital). */
  pathPrefix?: string
}

/** Files of a module hold at most this much source, so big modules have many files, as real ones do. */
const FILE_BYTES = 8192

/**
 * Source bytes of module i under `spread`: log-normal around 160 KiB (σ = 1.5: about one
 * module in twenty passes 1.5 MiB, the largest reach several MiB), deterministic per i.
 */
export function spreadBytes(i: number): number {
  const uniform = (salt: string) => (createHash('sha256').update(`${i}:${salt}`).digest().readUInt32BE(0) + 1) / 2 ** 32
  const normal = Math.sqrt(-2 * Math.log(uniform('a'))) * Math.cos(2 * Math.PI * uniform('b'))
  return Math.round(Math.min(16 << 20, Math.max(1024, 160 * 1024 * Math.exp(1.5 * normal))))
}

export async function makeUniverse(root: string, options: UniverseOptions): Promise<Universe> {
  const proxyDir = path.join(root, 'proxy')
  const modules: Module[] = Array.from({ length: options.count }, (_, i) => {
    const n = String(i + 1).padStart(3, '0')
    // One path with capitals, to exercise the protocol's case encoding.
    const prefix = options.pathPrefix ?? 'example.com/fixture'
    return { path: i === 0 ? prefix.replace(/\/(\w)(\w*)$/, (_, c: string, rest: string) => `/${c.toUpperCase()}${rest}`) + `/m${n}` : `${prefix}/m${n}`, version: 'v1.0.0', pkg: `m${n}` }
  })
  modules.forEach((module, i) => {
    const bytes = options.sourceBytes === 'spread' ? spreadBytes(i) : (options.sourceBytes ?? 2048)
    writeModule(proxyDir, module, bytes)
  })

  const sampleDir = path.join(root, 'sample')
  await writeSample(sampleDir, 'example.com/sample', modules, proxyDir)
  return { proxyDir, modules, sampleDir }
}

/** A main module at dir importing every package of `modules`; go writes its go.sum (with `env` on top of its own: GOPRIVATE and git's redirect, say). */
export async function writeSample(dir: string, modulePath: string, modules: Module[], proxyDir: string, env: Record<string, string> = {}): Promise<void> {
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    path.join(dir, 'go.mod'),
    `module ${modulePath}\n\ngo 1.21\n\nrequire (\n${modules.map(m => `\t${m.path} ${m.version}\n`).join('')})\n`
  )
  writeFileSync(
    path.join(dir, 'main.go'),
    `package main\n\nimport (\n\t"fmt"\n${modules.map(m => `\t"${m.path}"\n`).join('')})\n\nfunc main() {\n${modules.map(m => `\tfmt.Println(${m.pkg}.Name())\n`).join('')}}\n`
  )
  // go writes go.sum itself, fetching from the directory through a file:// proxy.
  await go(['mod', 'tidy'], dir, { ...offlineGoEnv(path.join(proxyDir, '..', 'tidy-modcache')), GOPROXY: `file://${proxyDir}`, ...env })
}

function writeModule(proxyDir: string, module: Module, sourceBytes: number): void {
  const dir = path.join(proxyDir, escapePath(module.path), '@v')
  mkdirSync(dir, { recursive: true })
  const goMod = `module ${module.path}\n\ngo 1.21\n`
  // Hex comment lines that do not compress away, so zips have the size asked for.
  const lines = Array.from({ length: Math.ceil(sourceBytes / 68) }, (_, i) =>
    `// ${createHash('sha256').update(`${module.path}:${i}`).digest('hex')}\n`
  )
  const perFile = Math.floor(FILE_BYTES / 68)
  const extra: Record<string, Uint8Array> = {}
  for (let f = 1; f * perFile < lines.length; f++) {
    extra[`${module.pkg}_${f}.go`] = Buffer.from(`package ${module.pkg}\n\n${lines.slice(f * perFile, (f + 1) * perFile).join('')}`)
  }
  const source = `package ${module.pkg}\n\n${lines.slice(0, perFile).join('')}\nfunc Name() string { return "${module.path}" }\n`
  const prefix = `${module.path}@${module.version}/`
  const zip = (main: string) =>
    zipSync(
      Object.fromEntries(
        Object.entries({ 'go.mod': Buffer.from(goMod), [`${module.pkg}.go`]: Buffer.from(main), ...extra }).map(([name, data]) => [prefix + name, data])
      )
    )
  writeFileSync(path.join(dir, 'list'), `${module.version}\n`)
  writeFileSync(path.join(dir, `${module.version}.info`), JSON.stringify({ Version: module.version, Time: '2024-01-01T00:00:00Z' }))
  writeFileSync(path.join(dir, `${module.version}.mod`), goMod)
  writeFileSync(path.join(dir, `${module.version}.zip`), zip(source))
  writeFileSync(path.join(dir, `${module.version}.zip${TAMPERED}`), zip(source.replace('return "', 'return "tampered ')))
}

/** The files go leaves in a module cache for a module it downloaded and extracted. */
export function moduleCacheHas(modcache: string, module: Module): boolean {
  try {
    const escaped = escapePath(module.path)
    readFileSync(path.join(modcache, 'cache', 'download', escaped, '@v', `${module.version}.ziphash`))
    readFileSync(path.join(modcache, `${escaped}@${module.version}`, `${module.pkg}.go`))
    return true
  } catch {
    return false
  }
}
