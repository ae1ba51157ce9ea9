// The download set, pure: the plan for each project shape of download-set.test.ts, whose main
// go.mod files are the ones go mod tidy wrote there and whose expected files are the ones go
// mod download fetched there (that test checks the plan against go on every run; this one
// needs no go, so that each rule of download-set.ts is checked in milliseconds).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { likelyDownloads, type MainModule, type ModSummary, planDownloads, type PlanInput } from '../src/fetch/download-set.ts'
import { resolveDownloads } from '../src/fetch/resolve.ts'
import { parseGoMod, parseGoWork } from '../src/go/gomod.ts'
import { downloadPath } from '../src/module/request.ts'
import { E, MODULES } from './support/graph-modules.ts'
import { goModText } from './support/graph-universe.ts'

const main = (dir: string, text: string): MainModule => ({ dir, mod: parseGoMod(text) })
const single = (dir: string, text: string): PlanInput => ({ mains: [main(dir, text)], workspace: false, workReplace: [] })
const requires = (lines: string[]) => lines.map(l => `\t${E}/${l}\n`).join('')

/** Every module's go.mod as the graph universe serves it. */
const served = new Map(MODULES.map(m => [`${m.path}@${m.version}`, goModText(m.declares ?? m.path, m.go, m.requires ?? [])]))

async function planned(input: PlanInput): Promise<string[]> {
  const plan = await resolveDownloads(input, async m => served.get(`${m.path}@${m.version}`))
  expect(plan.unresolved).toEqual([])
  const files = [
    ...plan.graphMods.map(m => downloadPath(m.path, m.version, 'mod')),
    ...plan.downloads.flatMap(m => (['info', 'mod', 'zip'] as const).map(kind => downloadPath(m.path, m.version, kind)))
  ]
  return [...new Set(files)].sort()
}

/** `<module>@<version>` → its .info, .mod and .zip; `<module>@<version>.mod` → its .mod alone. */
const files = (...specs: string[]) =>
  specs
    .flatMap(spec => {
      const mod = spec.endsWith('.mod')
      const [name, version] = spec.replace(/\.mod$/, '').split('@') as [string, string]
      return (mod ? ['mod'] : ['info', 'mod', 'zip']).map(kind => `${E}/${name}/@v/${version}.${kind}`)
    })
    .sort()

describe('the download set, as go mod download fetched it', () => {
  it('a pruned module (go 1.21), with an unpruned dependency inside', async () => {
    const input = single('/w/pruned', `module example.com/main/pruned\n\ngo 1.21\n\nrequire (\n${requires(['a v1.0.0', 'p v1.0.0'])})\n\nrequire (\n${requires(['b v1.0.0 // indirect', 'c v1.1.0 // indirect', 'd v1.0.0 // indirect', 'e v1.0.0 // indirect', 'f v1.0.0 // indirect', 'h v1.0.0 // indirect'])})\n`)
    expect(await planned(input)).toEqual(files('a@v1.0.0', 'b@v1.0.0', 'c@v1.1.0', 'd@v1.0.0', 'e@v1.0.0', 'f@v1.0.0', 'h@v1.0.0', 'p@v1.0.0', 'r@v1.0.0.mod'))
  })

  it('a module before go 1.17: the whole graph, every module of the build list', async () => {
    const input = single('/w/unpruned', `module example.com/main/unpruned\n\ngo 1.16\n\nrequire ${E}/u1 v1.0.0\n`)
    expect(await planned(input)).toEqual(files('u1@v1.0.0', 'u2@v1.0.0', 'u3@v1.0.0', 'u4@v1.0.0'))
  })

  it('replace: a module by another module, and a module by a local directory', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'replaced-'))
    mkdirSync(path.join(dir, 'local-c'))
    writeFileSync(path.join(dir, 'local-c', 'go.mod'), goModText(`${E}/c`, '1.16', [`${E}/e@v1.0.0`]))
    const input = single(
      dir,
      `module example.com/main/replaced\n\ngo 1.21\n\nrequire ${E}/a v1.0.0\n\nrequire (\n${requires(['b v1.0.0 // indirect', 'c v1.1.0 // indirect', 'd v1.1.0 // indirect', 'e v1.0.0 // indirect', 'f v1.0.0 // indirect', 'h v1.0.0 // indirect'])})\n\nreplace ${E}/b => ${E}/bfork v1.5.0\n\nreplace ${E}/c => ./local-c\n`
    )
    expect(await planned(input)).toEqual(files('a@v1.0.0', 'bfork@v1.5.0', 'd@v1.1.0', 'e@v1.0.0', 'f@v1.0.0', 'h@v1.0.0'))
  })

  it('exclude: requirements on an excluded version are dropped', async () => {
    const input = single('/w/excluded', `module example.com/main/excluded\n\ngo 1.21\n\nrequire (\n${requires(['c v1.1.0', 'e v1.1.0'])})\n\nrequire (\n${requires(['f v1.0.0 // indirect', 'h v1.0.0 // indirect'])})\n\nexclude ${E}/e v1.0.0\n`)
    expect(await planned(input)).toEqual(files('c@v1.1.0', 'e@v1.1.0', 'f@v1.0.0', 'h@v1.0.0', 'r@v1.0.0.mod'))
  })

  it('a go.work workspace: the build list of all its modules', async () => {
    const work = parseGoWork('go 1.21\n\nuse (\n\t./ws-one\n\t./ws-two\n)\n')
    const input: PlanInput = {
      mains: [
        main('/w/ws-one', `module example.com/main/ws-one\n\ngo 1.21\n\nrequire ${E}/a v1.0.0\n\nrequire (\n${requires(['b v1.0.0 // indirect', 'c v1.1.0 // indirect', 'd v1.0.0 // indirect', 'e v1.0.0 // indirect', 'f v1.0.0 // indirect', 'h v1.0.0 // indirect'])})\n`),
        main('/w/ws-two', `module example.com/main/ws-two\n\ngo 1.21\n\nrequire ${E}/x v1.0.0\n\nrequire ${E}/d v1.0.0 // indirect\n`)
      ],
      workspace: true,
      workReplace: work.replace
    }
    expect(await planned(input)).toEqual(files('a@v1.0.0', 'b@v1.0.0', 'c@v1.1.0', 'd@v1.0.0', 'e@v1.0.0', 'f@v1.0.0', 'h@v1.0.0', 'r@v1.0.0', 'x@v1.0.0'))
  })
})

describe('likelyDownloads: the zips fetched before the graph is read', () => {
  const names = (input: PlanInput) => likelyDownloads(input).map(m => `${m.path.slice(E.length + 1)}@${m.version}`)
  const zipsOf = async (input: PlanInput) => (await planned(input)).filter(f => f.endsWith('.zip'))

  it('a pruned main module: every requirement as listed, each among the zips go downloads', async () => {
    const input = single('/w/pruned', `module example.com/main/pruned\n\ngo 1.21\n\nrequire (\n${requires(['a v1.0.0', 'p v1.0.0'])})\n\nrequire (\n${requires(['b v1.0.0 // indirect', 'c v1.1.0 // indirect', 'd v1.0.0 // indirect', 'e v1.0.0 // indirect', 'f v1.0.0 // indirect', 'h v1.0.0 // indirect'])})\n`)
    expect(names(input)).toEqual(['a@v1.0.0', 'p@v1.0.0', 'b@v1.0.0', 'c@v1.1.0', 'd@v1.0.0', 'e@v1.0.0', 'f@v1.0.0', 'h@v1.0.0'])
    const zips = await zipsOf(input)
    for (const m of likelyDownloads(input)) expect(zips).toContain(downloadPath(m.path, m.version, 'zip'))
  })

  it('leaves out what a replacement or an exclusion touches, a requirement on none, and the main module itself', () => {
    const input = single('/w/m', `module ${E}/m\n\ngo 1.17\n\nrequire (\n${requires(['a v1.0.0', 'b v1.0.0', 'c v1.1.0', 'e v1.0.0', 'x none', 'm v1.0.0'])})\n\nreplace ${E}/b => ${E}/bfork v1.5.0\n\nreplace ${E}/c v1.1.0 => ./local-c\n\nexclude ${E}/e v1.0.0\n`)
    expect(names(input)).toEqual(['a@v1.0.0'])
    expect(names({ ...input, workReplace: parseGoWork(`go 1.21\n\nreplace ${E}/a => ${E}/afork v1.0.0\n`).replace })).toEqual([])
  })

  it('nothing before go 1.17, in a workspace, or for a go.mod without a go line: their download set is the whole build list', () => {
    expect(names(single('/w/unpruned', `module example.com/main/unpruned\n\ngo 1.16\n\nrequire ${E}/u1 v1.0.0\n`))).toEqual([])
    expect(names(single('/w/old', `module example.com/main/old\n\nrequire ${E}/u1 v1.0.0\n`))).toEqual([])
    const one = main('/w/ws-one', `module example.com/main/ws-one\n\ngo 1.21\n\nrequire ${E}/a v1.0.0\n`)
    expect(names({ mains: [one], workspace: true, workReplace: [] })).toEqual([])
    expect(names({ mains: [one, main('/w/ws-two', `module example.com/main/ws-two\n\ngo 1.21\n`)], workspace: false, workReplace: [] })).toEqual([])
  })
})

describe('planDownloads, rule by rule', () => {
  const summary = (go: string | undefined, ...req: string[]): ModSummary => ({ ...(go ? { go } : {}), require: req.map(r => ({ path: r.split('@')[0] as string, version: r.split('@')[1] as string })) })
  const keys = (list: { path: string; version: string }[]) => list.map(m => `${m.path}@${m.version}`)

  it('asks for the go.mod files the graph needs next, where each comes from', () => {
    const input = single('/w/m', `module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/x v1.0.0\n\texample.com/y v1.0.0\n\texample.com/z v1.0.0\n)\n\nreplace example.com/y => example.com/yfork v1.2.0\n\nreplace example.com/z => ../z\n`)
    expect(planDownloads(input, new Map()).missing).toEqual([
      { key: 'example.com/x@v1.0.0', source: { kind: 'proxy', module: { path: 'example.com/x', version: 'v1.0.0' } } },
      { key: 'example.com/y@v1.0.0', source: { kind: 'proxy', module: { path: 'example.com/yfork', version: 'v1.2.0' } } },
      { key: 'example.com/z@v1.0.0', source: { kind: 'dir', dir: '/w/m/../z' } }
    ])
  })

  it('selects the highest version of each module, downloads the main module’s requirements at it, and reads the .mod of each loaded one', () => {
    const input = single('/w/m', 'module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/x v1.0.0\n\texample.com/y v1.0.0\n)\n')
    const loaded = new Map([
      ['example.com/x@v1.0.0', summary('1.21', 'example.com/y@v1.2.0', 'example.com/w@v0.1.0')],
      ['example.com/y@v1.0.0', summary('1.21')]
    ])
    const plan = planDownloads(input, loaded)
    expect(plan.missing).toEqual([])
    expect(keys(plan.downloads)).toEqual(['example.com/x@v1.0.0', 'example.com/y@v1.2.0'])
    expect(keys(plan.graphMods)).toEqual(['example.com/x@v1.0.0', 'example.com/y@v1.0.0'])
  })

  it('loads the whole closure below an unpruned module, and only the requirements of a pruned one', () => {
    const input = single('/w/m', 'module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/old v1.0.0\n\texample.com/new v1.0.0\n)\n')
    const loaded = new Map([
      ['example.com/old@v1.0.0', summary('1.16', 'example.com/mid@v1.0.0')],
      ['example.com/new@v1.0.0', summary('1.21', 'example.com/skipped@v1.0.0')]
    ])
    // old is unpruned: its requirement's go.mod is read, whatever that one's go line.
    expect(planDownloads(input, loaded).missing.map(m => m.key)).toEqual(['example.com/mid@v1.0.0'])
    loaded.set('example.com/mid@v1.0.0', summary('1.21', 'example.com/deep@v1.0.0'))
    expect(planDownloads(input, loaded).missing.map(m => m.key)).toEqual(['example.com/deep@v1.0.0'])
    loaded.set('example.com/deep@v1.0.0', summary('1.21'))
    const plan = planDownloads(input, loaded)
    expect(plan.missing).toEqual([])
    // new is pruned: skipped is in the graph, its go.mod never read, and nothing of it downloaded.
    expect(keys(plan.graphMods)).toEqual(['example.com/old@v1.0.0', 'example.com/mid@v1.0.0', 'example.com/deep@v1.0.0', 'example.com/new@v1.0.0'])
    expect(keys(plan.downloads)).toEqual(['example.com/new@v1.0.0', 'example.com/old@v1.0.0'])
    // A go.mod with no go line is unpruned, as old as modules get.
    const noGo = single('/w/m', 'module example.com/m\n\ngo 1.21\n\nrequire example.com/new v1.0.0\n')
    expect(planDownloads(noGo, new Map([['example.com/new@v1.0.0', summary(undefined, 'example.com/skipped@v1.0.0')]])).missing.map(m => m.key)).toEqual(['example.com/skipped@v1.0.0'])
  })

  it('drops a requirement on `none`, on an excluded version, or on a main module', () => {
    const input = single('/w/m', 'module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/x v1.0.0\n\texample.com/gone none\n)\n\nexclude example.com/x v0.9.0\n')
    const loaded = new Map([['example.com/x@v1.0.0', summary('1.16', 'example.com/x@v0.9.0', 'example.com/m@v0.1.0', 'example.com/gone@none')]])
    const plan = planDownloads(input, loaded)
    expect(plan.missing).toEqual([])
    expect(keys(plan.downloads)).toEqual(['example.com/x@v1.0.0'])
    expect(keys(plan.graphMods)).toEqual(['example.com/x@v1.0.0'])
  })

  it('prefers a version-specific replacement to a path-wide one, and go.work’s to a main module’s', () => {
    const text = 'module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/x v1.0.0\n\texample.com/y v1.0.0\n)\n\nreplace example.com/x => example.com/xall v2.0.0\n\nreplace example.com/x v1.0.0 => example.com/xone v1.0.1\n\nreplace example.com/y => example.com/ymain v1.0.0\n'
    const input: PlanInput = { ...single('/w/m', text), workReplace: parseGoWork('go 1.21\n\nreplace example.com/y => example.com/ywork v3.0.0\n').replace }
    const loaded = new Map([
      ['example.com/x@v1.0.0', summary('1.21')],
      ['example.com/y@v1.0.0', summary('1.21')]
    ])
    const plan = planDownloads(input, loaded)
    expect(keys(plan.downloads)).toEqual(['example.com/xone@v1.0.1', 'example.com/ywork@v3.0.0'])
    expect(keys(plan.graphMods)).toEqual(['example.com/xone@v1.0.1', 'example.com/ywork@v3.0.0'])
  })

  it('downloads nothing for a module replaced by a directory, and reads its go.mod from there, relative to its main module', () => {
    const text = 'module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.0.0\n)\n\nreplace example.com/a => ./a\n\nreplace example.com/b => /abs/b\n'
    const input = single('/w/m', text)
    const plan = planDownloads(input, new Map())
    expect(plan.missing.map(m => m.source)).toEqual([
      { kind: 'dir', dir: '/w/m/./a' },
      { kind: 'dir', dir: '/abs/b' }
    ])
    const done = planDownloads(input, new Map([['example.com/a@v1.0.0', summary('1.21')], ['example.com/b@v1.0.0', summary('1.21')]]))
    expect(done.downloads).toEqual([])
    expect(done.graphMods).toEqual([])
  })

  it('lists each download once, sorted by path, then version', () => {
    const input: PlanInput = {
      mains: [
        main('/w/one', 'module example.com/one\n\ngo 1.21\n\nrequire (\n\texample.com/z v1.0.0\n\texample.com/b v1.0.0\n)\n'),
        main('/w/two', 'module example.com/two\n\ngo 1.21\n\nrequire (\n\texample.com/b v1.0.0\n\texample.com/one v0.0.0\n)\n')
      ],
      workspace: true,
      workReplace: []
    }
    const loaded = new Map([
      ['example.com/z@v1.0.0', summary('1.21')],
      ['example.com/b@v1.0.0', summary('1.21')]
    ])
    expect(keys(planDownloads(input, loaded).downloads)).toEqual(['example.com/b@v1.0.0', 'example.com/z@v1.0.0'])
  })

  it('from go 1.17 exactly, a go.mod is pruned: the main module’s, and a dependency’s', () => {
    const input = single('/w/m', 'module example.com/m\n\ngo 1.17\n\nrequire example.com/x v1.0.0\n')
    const loaded = new Map([
      ['example.com/x@v1.0.0', summary('1.17', 'example.com/y@v1.0.0')]
    ])
    const plan = planDownloads(input, loaded)
    expect(plan.missing).toEqual([])
    expect(keys(plan.downloads)).toEqual(['example.com/x@v1.0.0'])
    expect(keys(plan.graphMods)).toEqual(['example.com/x@v1.0.0'])
  })

  it('selects the highest version whichever the graph reaches first', () => {
    const input = single('/w/m', 'module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/y v1.0.0\n\texample.com/x v1.0.0\n)\n')
    const loaded = new Map([
      ['example.com/y@v1.0.0', summary('1.21')],
      ['example.com/x@v1.0.0', summary('1.21', 'example.com/y@v1.2.0')]
    ])
    expect(keys(planDownloads(input, loaded).downloads)).toEqual(['example.com/x@v1.0.0', 'example.com/y@v1.2.0'])
  })

  it('a cycle of unpruned modules ends', () => {
    const input = single('/w/m', 'module example.com/m\n\ngo 1.16\n\nrequire example.com/x v1.0.0\n')
    const loaded = new Map([
      ['example.com/x@v1.0.0', summary('1.16', 'example.com/y@v1.0.0')],
      ['example.com/y@v1.0.0', summary('1.16', 'example.com/x@v1.0.0')]
    ])
    const plan = planDownloads(input, loaded)
    expect(keys(plan.downloads)).toEqual(['example.com/x@v1.0.0', 'example.com/y@v1.0.0'])
    expect(keys(plan.graphMods)).toEqual(['example.com/x@v1.0.0', 'example.com/y@v1.0.0'])
  })

  it('a version-specific replacement applies to that version alone', () => {
    const input = single('/w/m', 'module example.com/m\n\ngo 1.21\n\nrequire example.com/x v2.0.0\n\nreplace example.com/x v1.0.0 => example.com/xone v1.0.1\n')
    expect(planDownloads(input, new Map()).missing.map(m => m.source)).toEqual([{ kind: 'proxy', module: { path: 'example.com/x', version: 'v2.0.0' } }])
  })

  it('resolves a go.work replacement’s relative directory from go.work’s own, as go does; without it, leaves it as written', () => {
    const input: PlanInput = { ...single('/w/svc/m', 'module example.com/m\n\ngo 1.21\n\nrequire example.com/z v1.0.0\n'), workspace: true, workReplace: parseGoWork('go 1.21\n\nreplace example.com/z => ./z\n').replace }
    expect(planDownloads({ ...input, workDir: '/w' }, new Map()).missing.map(m => m.source)).toEqual([{ kind: 'dir', dir: '/w/./z' }])
    expect(planDownloads(input, new Map()).missing.map(m => m.source)).toEqual([{ kind: 'dir', dir: './z' }])
  })

  it('sorts downloads by path, and two versions of one path (two replacements onto a fork) by version', () => {
    const text = 'module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/c v1.0.0\n\texample.com/b v1.0.0\n\texample.com/a v1.0.0\n\texample.com/d v1.0.0\n)\n\nreplace example.com/b => example.com/fork v2.0.0\n\nreplace example.com/a => example.com/fork v1.0.0\n'
    const loaded = new Map(['a', 'b', 'c', 'd'].map(n => [`example.com/${n}@v1.0.0`, summary('1.21')]))
    expect(keys(planDownloads(single('/w/m', text), loaded).downloads)).toEqual(['example.com/c@v1.0.0', 'example.com/d@v1.0.0', 'example.com/fork@v1.0.0', 'example.com/fork@v2.0.0'])
    // By path first, whatever the versions say.
    const two = single('/w/m', 'module example.com/m\n\ngo 1.21\n\nrequire (\n\texample.com/a v2.0.0\n\texample.com/z v1.0.0\n)\n')
    const both = new Map([['example.com/a@v2.0.0', summary('1.21')], ['example.com/z@v1.0.0', summary('1.21')]])
    expect(keys(planDownloads(two, both).downloads)).toEqual(['example.com/a@v2.0.0', 'example.com/z@v1.0.0'])
  })
})
