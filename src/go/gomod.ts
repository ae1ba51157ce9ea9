// go.mod and go.work, read for what decides the download set: the module path, the `go`
// version (graph pruning starts at 1.17), require, replace and exclude, and a workspace's use.
// Both files share one grammar: a directive on one line, or a directive with a ( … ) block.

export interface ModuleVersion {
  path: string
  version: string
}

export interface Replacement {
  /** A version-less `from` replaces every version of the module. */
  from: { path: string; version?: string }
  /** A module and version, or a local directory (no version). */
  to: { path: string; version?: string }
}

export interface GoModFile {
  module: string
  /** The `go` line; absent in old files, which go reads as before 1.17 (unpruned). */
  go?: string
  toolchain?: string
  require: ModuleVersion[]
  replace: Replacement[]
  exclude: ModuleVersion[]
}

export interface GoWorkFile {
  go?: string
  toolchain?: string
  use: string[]
  replace: Replacement[]
}

/** Each directive's arguments, block entries spelled out as single directives. */
function directives(text: string): { verb: string; args: string[] }[] {
  const out: { verb: string; args: string[] }[] = []
  let block: string | undefined
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim()
    if (line === '') continue
    if (block !== undefined) {
      if (line === ')') block = undefined
      else out.push({ verb: block, args: tokens(line) })
      continue
    }
    const [verb, ...args] = tokens(line)
    if (!verb) continue
    if (args.length === 1 && args[0] === '(') block = verb
    else out.push({ verb, args })
  }
  return out
}

/** Words, with "…" and `…` strings as one word. */
function tokens(line: string): string[] {
  const words: string[] = []
  const pattern = /"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\S+)/g
  for (let m = pattern.exec(line); m; m = pattern.exec(line)) {
    words.push(m[1] !== undefined ? JSON.parse(`"${m[1]}"`) as string : (m[2] ?? m[3] ?? ''))
  }
  return words
}

function replacement(args: string[]): Replacement | undefined {
  const arrow = args.indexOf('=>')
  if (arrow < 1) return undefined
  const [fromPath, fromVersion] = args.slice(0, arrow)
  const [toPath, toVersion] = args.slice(arrow + 1)
  if (!fromPath || !toPath) return undefined
  return { from: { path: fromPath, ...(fromVersion ? { version: fromVersion } : {}) }, to: { path: toPath, ...(toVersion ? { version: toVersion } : {}) } }
}

export function parseGoMod(text: string): GoModFile {
  const file: GoModFile = { module: '', require: [], replace: [], exclude: [] }
  for (const { verb, args } of directives(text)) {
    const [first, second] = args
    if (verb === 'module' && first) file.module = first
    else if (verb === 'go' && first) file.go = first
    else if (verb === 'toolchain' && first) file.toolchain = first
    else if (verb === 'require' && first && second) file.require.push({ path: first, version: second })
    else if (verb === 'exclude' && first && second) file.exclude.push({ path: first, version: second })
    else if (verb === 'replace') {
      const r = replacement(args)
      if (r) file.replace.push(r)
    }
  }
  return file
}

export function parseGoWork(text: string): GoWorkFile {
  const file: GoWorkFile = { use: [], replace: [] }
  for (const { verb, args } of directives(text)) {
    if (verb === 'go' && args[0]) file.go = args[0]
    else if (verb === 'toolchain' && args[0]) file.toolchain = args[0]
    else if (verb === 'use' && args[0]) file.use.push(args[0])
    else if (verb === 'replace') {
      const r = replacement(args)
      if (r) file.replace.push(r)
    }
  }
  return file
}

/** A replacement target that is a directory: `./x`, `../x`, `/abs`, or a Windows path. */
export function isLocalPath(path: string): boolean {
  return path.startsWith('./') || path.startsWith('../') || path.startsWith('/') || path === '.' || path === '..' || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('.\\') || path.startsWith('..\\')
}
