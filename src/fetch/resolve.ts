// Completes the download plan: reads the project's go.mod or go.work, then fetches the .mod
// files the graph still needs (through `fetchMod`, which verifies them) until none is missing.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { type GoModFile, type ModuleVersion, parseGoMod, parseGoWork } from '../go/gomod.ts'
import { type MainModule, type ModSummary, type Plan, type PlanInput, planDownloads } from './download-set.ts'

/** The main module(s) as go sees them from `dir`; `gowork` is what `go env GOWORK` reports there (a path, '' or 'off'). */
export async function readProject(dir: string, gowork: string): Promise<PlanInput> {
  const workFile = gowork !== '' && gowork !== 'off' ? gowork : undefined
  if (workFile) {
    const work = parseGoWork(await fs.readFile(workFile, 'utf8'))
    const root = path.dirname(workFile)
    const mains = await Promise.all(
      work.use.map(async use =>
        // go refuses such a workspace before any request; so does the step, in go's words.
        mainModule(path.resolve(root, use)).catch((e: Error) => {
          throw new Error(`go: cannot load module ${use} listed in go.work file: ${e.message}`)
        })
      )
    )
    return { mains, workspace: true, workReplace: work.replace, workDir: root }
  }
  return { mains: [await mainModule(dir)], workspace: false, workReplace: [] }
}

async function mainModule(dir: string): Promise<MainModule> {
  return { dir, mod: parseGoMod(await fs.readFile(path.join(dir, 'go.mod'), 'utf8')) }
}

export interface ResolvedPlan extends Plan {
  /** go.mod files that could not be had: the plan around them may miss files go will fetch itself. */
  unresolved: string[]
}

const summaryOf = (mod: GoModFile): ModSummary => ({ ...(mod.go ? { go: mod.go } : {}), require: mod.require })

export async function resolveDownloads(input: PlanInput, fetchMod: (module: ModuleVersion) => Promise<string | undefined>): Promise<ResolvedPlan> {
  const loaded = new Map<string, ModSummary>()
  const unresolved: string[] = []
  for (;;) {
    const plan = planDownloads(input, loaded)
    if (plan.missing.length === 0) return { ...plan, unresolved }
    await Promise.all(
      plan.missing.map(async ({ key, source }) => {
        const text =
          source.kind === 'dir'
            ? await fs.readFile(path.join(path.resolve(input.mains[0]?.dir ?? '.', source.dir), 'go.mod'), 'utf8').catch(() => undefined)
            : await fetchMod(source.module)
        if (text === undefined) unresolved.push(key)
        // An unreadable go.mod counts as one with no requirements: go will meet it itself.
        loaded.set(key, text === undefined ? { go: '1.17', require: [] } : summaryOf(parseGoMod(text)))
      })
    )
  }
}
