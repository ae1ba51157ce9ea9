// One in-process run of the action in a universe's sample module, and what a complete
// module cache must hold afterwards: shared by the integration tests.
import path from 'node:path'
import { expect } from 'vitest'
import { type ActionRun, runInProcess } from './action.ts'
import { offlineGoEnv, tempModcache } from './go.ts'
import { moduleCacheHas, type Module, type Universe } from './universe.ts'

/**
 * Inputs that keep a test quick but leave every mechanism in play. The proxy for later steps
 * outlives the step until a post step stops it: only the tests of it (and the end-to-end test)
 * start it, and they stop it.
 */
export const QUICK = { 'probe-timeout': '1s', 'stall-timeout': '2s', timeout: '60s', retries: '2', 'protect-later-steps': 'false' }

export interface Where {
  /** Defaults to the directory holding the universe's sample module, with working-directory `sample`. */
  workspace?: string
  /** Defaults to a new, empty module cache. */
  modcache?: string
  /** More step environment (a cache service's, say). */
  env?: Record<string, string>
}

export async function runScenario(
  universe: Universe,
  inputs: Record<string, string>,
  where: Where = {}
): Promise<ActionRun & { modcache: string }> {
  const modcache = where.modcache ?? tempModcache()
  const inSample: Record<string, string> = where.workspace === undefined ? { 'working-directory': 'sample' } : {}
  const result = await runInProcess(
    { ...inSample, ...QUICK, ...inputs },
    where.workspace ?? path.dirname(universe.sampleDir),
    { ...offlineGoEnv(modcache), ...where.env }
  )
  return { ...result, modcache }
}

export function expectComplete(modcache: string, modules: Module[]): void {
  expect(modules.length).toBeGreaterThan(0)
  for (const module of modules) expect(moduleCacheHas(modcache, module), module.path).toBe(true)
}
