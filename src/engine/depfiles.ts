// The files whose content keys the cache, and whose go.sum lines the probes check against.
import { existsSync, promises as fs } from 'node:fs'
import path from 'node:path'
import { parseGoMod, parseGoWork } from '../go/gomod.ts'
import { parseGoSum, type SumLine } from '../module/gosum.ts'

/**
 * The files that match patterns, each an absolute path or glob, a leading `!` excluding (as
 * @actions/glob reads them): the front door's, where cache-dependency-path is taken.
 */
export type GlobFiles = (patterns: string[]) => Promise<string[]>

export interface DependencyFiles {
  /** Paths relative to the workspace, for a key that does not depend on where the runner checks out. */
  files: { path: string; content: Buffer }[]
  sumLines: SumLine[]
  /** go.work, else go.mod (go prefers the workspace too): the source of the `go` and `toolchain` lines. */
  goModText: string
  /** go.work's `go` line, else go.mod's (go prefers the workspace's). */
  goLine: string | undefined
  /** go.work's `toolchain` line, else go.mod's. */
  toolchainLine: string | undefined
  /** A module with requirements and no go.sum beside its go.mod: nothing to check modules against. */
  missingGoSum: boolean
}

/**
 * User globs are relative to the workspace, like hashFiles(). By default: go.sum and
 * go.work.sum in the working directory, and the go.sum of every module a go.work uses.
 */
export async function readDependencyFiles(workspace: string, workingDirectory: string, patterns: string[], globFiles?: GlobFiles): Promise<DependencyFiles> {
  const goWork = await fs.readFile(path.join(workingDirectory, 'go.work'), 'utf8').catch(() => undefined)
  const goMod = await fs.readFile(path.join(workingDirectory, 'go.mod'), 'utf8').catch(() => '')
  if (patterns.length > 0 && !globFiles) throw new Error('cache-dependency-path is read by the Action alone')
  const found = patterns.length > 0 && globFiles ? await globFiles(patterns.map(p => (p.startsWith('!') ? `!${path.resolve(workspace, p.slice(1))}` : path.resolve(workspace, p)))) : defaultFiles(workingDirectory, goWork)
  const files = await Promise.all(
    [...new Set(found)].sort().map(async f => ({ path: path.relative(workspace, f).split(path.sep).join('/'), content: await fs.readFile(f) }))
  )
  const sumLines = files.filter(f => f.path.endsWith('.sum')).flatMap(f => parseGoSum(f.content.toString('utf8')))
  const mod = parseGoMod(goMod)
  const lines = goWork === undefined ? mod : parseGoWork(goWork)
  return {
    files,
    sumLines,
    goModText: goWork ?? goMod,
    goLine: lines.go,
    toolchainLine: lines.toolchain,
    missingGoSum: goWork === undefined && mod.require.length > 0 && !existsSync(path.join(workingDirectory, 'go.sum'))
  }
}

function defaultFiles(workingDirectory: string, goWork: string | undefined): string[] {
  const uses = goWork === undefined ? [] : parseGoWork(goWork).use.map(dir => path.join(dir, 'go.sum'))
  return ['go.sum', 'go.work.sum', ...uses].map(f => path.resolve(workingDirectory, f)).filter(f => existsSync(f))
}
