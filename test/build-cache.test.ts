// The build cache (build-cache: true) through act's real cache service: the main step restores
// GOCACHE, the job builds, the bundled post step saves what the build used or wrote, and a fresh
// job's build compiles nothing it compiled before.
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { runPostBundled } from './support/action.ts'
import { goBinary, offlineGoEnv } from './support/go.ts'
import { healthy } from './support/proxy-server.ts'
import { runScenario } from './support/scenario.ts'
import { cacheWorld } from './support/cache-world.ts'

const world = cacheWorld(4)
const { proxies, services } = world

/** A build in the job: go's -x trace, from which the compiles it ran are counted. */
async function build(sample: string, env: Record<string, string>, target = './...'): Promise<number> {
  const { stderr } = await promisify(execFile)(goBinary(), ['build', '-x', '-o', os.devNull, target], { cwd: sample, env: { ...process.env, ...env } })
  return stderr.split('\n').filter(line => /\/compile( |$)/.test(line)).length
}

describe('build-cache: true', () => {
  it('main restores, the job builds, post saves what it used; a fresh job compiles nothing again, and a job that built less saves less', async () => {
    const service = await services.start()
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'build-'))
    const sample = path.join(workspace, 'sample')
    cpSync(world.universe.sampleDir, sample, { recursive: true })
    // The same paths in every job, emptied: a fresh runner.
    const gocache = path.join(workspace, 'gocache')
    const modcache = path.join(workspace, 'modcache')
    const job = async (target?: string) => {
      for (const dir of [gocache, modcache]) rmSync(dir, { recursive: true, force: true })
      const env = { ...service.env, GOCACHE: gocache }
      const main = await runScenario(world.universe, { proxies: (await proxies.start(healthy)).url, 'working-directory': 'sample', 'build-cache': 'true' }, { workspace, modcache, env })
      expect(main.failed, main.log).toBe(false)
      const compiles = await build(sample, { ...offlineGoEnv(modcache), GOCACHE: gocache }, target)
      const post = await runPostBundled(main, workspace, { ...service.env, GOCACHE: gocache })
      expect(post.exitCode, post.log).toBe(0)
      return { main, compiles, post }
    }

    const first = await job()
    expect(first.main.outputs['build-cache-hit']).toBe('false')
    expect(first.main.summary).toMatch(/<summary>Build cache: [\s\S]*\| miss[^|]*\| — \| by the post step/)
    expect(first.compiles).toBeGreaterThan(world.universe.modules.length)
    expect(first.post.summary).toMatch(/\| saved, [^|]+\| go-build-linux-amd64-go[^|]+\| \d+ \|/)
    const saved = (await service.entries()).filter(e => e.key.startsWith('go-build-'))
    expect(saved).toHaveLength(1)

    const entries = (summary: string) => Number(/\| (\d+) \|\n*$/.exec(summary)?.[1])
    // A build that hits reads fewer entries than the build that wrote them (go writes some it
    // never reads back): the second job's entry is the smaller set a hit needs, and from then
    // on the same build leaves the cache unchanged.
    const second = await job()
    expect(second.main.outputs['build-cache-hit']).toBe('true')
    expect(second.compiles).toBe(0)
    expect(entries(second.post.summary)).toBeLessThanOrEqual(entries(first.post.summary))
    const third = await job()
    expect(third.compiles).toBe(0)
    expect(third.post.summary).toContain('not saved: unchanged since it was restored')

    // Only one module's package: the entries of the others were not used, and are not saved again.
    const fourth = await job(`${world.universe.modules[1]?.path}`)
    expect(fourth.compiles).toBe(0)
    expect(entries(fourth.post.summary)).toBeGreaterThan(0)
    expect(entries(fourth.post.summary)).toBeLessThan(entries(third.post.summary))
  })

  it('is left alone when the input is off: no build cache entry, no state for the post step', async () => {
    const service = await services.start()
    const run = await runScenario(world.universe, { proxies: (await proxies.start(healthy)).url }, { env: service.env })
    expect(run.failed, run.log).toBe(false)
    expect(run.state).toBe('')
    expect(run.summary).not.toContain('Build cache')
    expect((await service.entries()).filter(e => e.key.startsWith('go-build-'))).toEqual([])
  })
})
