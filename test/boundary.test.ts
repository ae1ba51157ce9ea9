// The engine's boundary: no engine file imports @actions/*. Only the Action's adapters
// (src/action/), the entry points (src/entries/) and the one library client the cache restore
// process needs (src/cache/entry-client.ts, imported by src/entries/cache-restore.ts alone) may;
// and the CLI's bundle holds nothing of @actions/* at all.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const ROOT = path.join(import.meta.dirname, '..')
const SRC = path.join(ROOT, 'src')
/** Where @actions/* may be imported: the Action's side of the boundary. */
const ACTION_SIDE = ['src/action/', 'src/entries/']
/** The cache restore process's client of @actions/cache's service protocols: Action-only, reached from its entry alone. */
const CACHE_PROCESS_FILES = ['src/cache/entry-client.ts']

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))
}

const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join('/')

/** Every module specifier a file imports or re-exports, statically or dynamically, comments left out. */
function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
  const specifiers = [...code.matchAll(/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g), ...code.matchAll(/\bimport\s*(?:\(\s*)?['"]([^'"]+)['"]/g), ...code.matchAll(/\brequire\s*\(\s*['"]([^'"]+)['"]/g)]
  return specifiers.map(m => m[1] as string)
}

const isActions = (specifier: string) => /(^|\/node_modules\/)@actions\//.test(specifier)

describe('the engine imports no @actions/*', () => {
  it('reads the imports of every form', () => {
    expect(importsOf("import * as core from '@actions/core'\nimport type { X } from '@actions/cache'\nexport { y } from '@actions/glob'\nawait import('@actions/exec')\nimport '@actions/io'\nimport { z } from '../../node_modules/@actions/cache/lib/x.js'").filter(isActions)).toHaveLength(6)
    expect(importsOf("// import * as core from '@actions/core'\n/* import '@actions/io' */\nconst s = 'no @actions/core here'").filter(isActions)).toEqual([])
  })

  it('outside src/action/ and src/entries/, no file imports @actions/*', () => {
    const crossing = sourceFiles(SRC)
      .map(rel)
      .filter(file => !ACTION_SIDE.some(side => file.startsWith(side)) && !CACHE_PROCESS_FILES.includes(file))
      .flatMap(file => importsOf(readFileSync(path.join(ROOT, file), 'utf8')).filter(isActions).map(specifier => `${file}: ${specifier}`))
    expect(crossing).toEqual([])
  })

  it('the Action-only cache process files are reached from the entries alone', () => {
    const importers = sourceFiles(SRC)
      .filter(file => importsOf(readFileSync(file, 'utf8')).some(s => CACHE_PROCESS_FILES.some(only => path.resolve(path.dirname(file), s) === path.join(ROOT, only))))
      .map(rel)
    expect(importers.length).toBeGreaterThan(0)
    expect(importers.filter(file => !file.startsWith('src/entries/'))).toEqual([])
  })

  it('no engine, CLI or report file imports the Action adapter', () => {
    const reaching = sourceFiles(SRC)
      .map(rel)
      .filter(file => !ACTION_SIDE.some(side => file.startsWith(side)))
      .filter(file => importsOf(readFileSync(path.join(ROOT, file), 'utf8')).some(s => path.resolve(path.dirname(path.join(ROOT, file)), s).startsWith(path.join(SRC, 'action') + path.sep)))
    expect(reaching).toEqual([])
  })

  it('the CLI, bundled, holds no module of @actions/*', async () => {
    const result = await build({ entryPoints: [path.join(SRC, 'entries', 'cli.ts')], bundle: true, platform: 'node', format: 'esm', write: false, metafile: true, logLevel: 'silent', outdir: path.join(ROOT, '.tmp', 'boundary') })
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.some(i => i.includes('src/engine/run.ts'))).toBe(true)
    expect(inputs.filter(i => i.includes('@actions/') || i.startsWith('src/action/'))).toEqual([])
  })
})
