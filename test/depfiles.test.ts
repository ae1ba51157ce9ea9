import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { globFiles } from '../src/action/glob.ts'
import { readDependencyFiles } from '../src/engine/depfiles.ts'
import { parseGoWork } from '../src/go/gomod.ts'

describe('a go.work\'s use directives', () => {
  it('reads the one-line and the block form, with quotes and comments', () => {
    const goWork = ['go 1.22', '', 'use ./tools // the linters', 'use (', '\t./svc/api', '\t"./svc/a b"', '', '\t// ./old', ')', 'toolchain go1.26.8'].join('\n')
    expect(parseGoWork(goWork).use).toEqual(['./tools', './svc/api', './svc/a b'])
  })
})

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'deps-'))
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true })
    writeFileSync(path.join(root, name), content)
  }
  return root
}

const sum = (module: string) => `${module} v1.0.0 h1:aaa=\n${module} v1.0.0/go.mod h1:bbb=\n`

describe('readDependencyFiles', () => {
  it("in a module: its go.sum, and go.mod's go lines", async () => {
    const root = tree({ 'app/go.mod': 'module x\n\ngo 1.22\n', 'app/go.sum': sum('example.com/a'), 'other/go.sum': sum('example.com/z') })
    const deps = await readDependencyFiles(root, path.join(root, 'app'), [])
    expect(deps.files.map(f => f.path)).toEqual(['app/go.sum'])
    expect(deps.sumLines.map(l => l.module)).toEqual(['example.com/a', 'example.com/a'])
    expect(deps.goModText).toContain('go 1.22')
  })

  it("in a workspace: go.work.sum and every used module's go.sum, and go.work's go lines", async () => {
    const root = tree({
      'go.work': 'go 1.23\n\nuse (\n\t./a\n\t./b\n)\n',
      'go.work.sum': sum('example.com/w'),
      'a/go.mod': 'module a\n\ngo 1.21\n',
      'a/go.sum': sum('example.com/a'),
      'b/go.mod': 'module b\n\ngo 1.21\n',
      'b/go.sum': sum('example.com/b'),
      'c/go.sum': sum('example.com/unused')
    })
    const deps = await readDependencyFiles(root, root, [])
    expect(deps.files.map(f => f.path)).toEqual(['a/go.sum', 'b/go.sum', 'go.work.sum'])
    expect(new Set(deps.sumLines.map(l => l.module))).toEqual(new Set(['example.com/a', 'example.com/b', 'example.com/w']))
    expect(deps.goModText).toContain('go 1.23')
  })

  it('takes user globs relative to the workspace, with ! exclusions', async () => {
    const root = tree({ 'svc/api/go.mod': 'module api\n', 'svc/api/go.sum': sum('example.com/a'), 'libs/x/go.sum': sum('example.com/x'), 'libs/old/go.sum': sum('example.com/o') })
    const deps = await readDependencyFiles(root, path.join(root, 'svc/api'), ['svc/api/go.sum', 'libs/**/go.sum', '!libs/old/**'], globFiles)
    expect(deps.files.map(f => f.path)).toEqual(['libs/x/go.sum', 'svc/api/go.sum'])
  })
})
