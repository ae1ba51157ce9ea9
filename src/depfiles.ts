// The files whose content keys the cache, and whose go.sum lines the probes check against.
import * as glob from '@actions/glob'
import { existsSync, promises as fs } from 'node:fs'
import path from 'node:path'
import { parseGoSum, type SumLine } from './gosum.ts'

export interface DependencyFiles {
  /** Paths relative to the workspace, for a key that does not depend on where the runner checks out. */
  files: { path: string; content: Buffer }[]
  sumLines: SumLine[]
  /** go.mod, else go.work: the source of the `go` and `toolchain` lines. */
  goModText: string
}

/** User globs are relative to the workspace, like hashFiles(); the default is go.sum and go.work.sum in the module. */
export async function readDependencyFiles(workspace: string, workingDirectory: string, patterns: string[]): Promise<DependencyFiles> {
  const found =
    patterns.length > 0
      ? await (await glob.create(patterns.map(p => path.resolve(workspace, p)).join('\n'))).glob()
      : ['go.sum', 'go.work.sum'].map(f => path.join(workingDirectory, f)).filter(f => existsSync(f))
  const files = await Promise.all(
    found.sort().map(async f => ({ path: path.relative(workspace, f).split(path.sep).join('/'), content: await fs.readFile(f) }))
  )
  const sumLines = files.filter(f => f.path.endsWith('.sum')).flatMap(f => parseGoSum(f.content.toString('utf8')))
  const goMod = ['go.mod', 'go.work'].map(f => path.join(workingDirectory, f)).find(f => existsSync(f))
  return { files, sumLines, goModText: goMod ? await fs.readFile(goMod, 'utf8') : '' }
}
