// GOFLAGS judged before any request, by the installed go itself: what it refuses is named, what
// it takes (however odd for an empty module) is left to the download.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { goflagsProblem, missingModfile, refusedGoflags } from '../src/go/goflags.ts'
import { classify } from '../src/download/classify.ts'
import { goBinary } from './support/go.ts'

const judge = (goflags: string) => goflagsProblem(goBinary(), goflags, { ...(process.env as Record<string, string>), GOFLAGS: '' })

describe('goflagsProblem', () => {
  it.each([
    ['-bogus', 'go: parsing $GOFLAGS: unknown flag -bogus'],
    ['-modcacherw notaflag', 'go: parsing $GOFLAGS: non-flag "notaflag"'],
    ["'-x", "go: parsing $GOFLAGS: unterminated ' string"],
    ['-modcacherw=maybe', 'go: invalid boolean value "maybe" for flag -modcacherw (from $GOFLAGS): parse error'],
    ['-mod=mod -json=3', 'go: invalid boolean value "3" for flag -json (from $GOFLAGS): parse error']
  ])('refuses %s with go’s words', async (goflags, said) => {
    expect(await judge(goflags)).toBe(said)
  })

  it.each(['', '-modcacherw', '-mod=mod -tags=a,b', '-race -trimpath', '-mod=vendor', '-modfile=other.mod', '-x'])(
    'takes %j: flags of other commands, and flags an empty module cannot honour, are the download’s to meet',
    async goflags => {
      expect(await judge(goflags)).toBeUndefined()
    }
  )

  it('leaves no folder behind', async () => {
    const mine = () => readdirSync(os.tmpdir()).filter(name => name.startsWith('go-mod-download-goflags-'))
    const before = mine()
    await judge('-bogus')
    expect(mine()).toEqual(before)
  })
})

describe('missingModfile', () => {
  it('names a -modfile that is not where go runs, the last one counting; passes one that is, and no -modfile', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'modfile-'))
    writeFileSync(path.join(dir, 'alt.mod'), 'module x\n')
    expect(missingModfile('-mod=mod -modfile=nonexist.mod', dir)).toBe(`-modfile=nonexist.mod names no file in ${dir}`)
    expect(missingModfile('--modfile=nonexist.mod -modfile=alt.mod', dir)).toBeUndefined()
    expect(missingModfile(`-modfile=${path.join(dir, 'alt.mod')}`, os.tmpdir())).toBeUndefined()
    expect(missingModfile('-mod=mod', dir)).toBeUndefined()
  })
})

describe('refusedGoflags', () => {
  it('finds go’s refusal among its other lines, and nothing in lines that only mention GOFLAGS', () => {
    expect(refusedGoflags('go: flag needs an argument: -reuse (from $GOFLAGS)\nusage: go mod download [-x]\n')).toBe('go: flag needs an argument: -reuse (from $GOFLAGS)')
    expect(refusedGoflags('go: invalid value "x" for flag -reuse (from %GOFLAGS%): bad\n')).toBe('go: invalid value "x" for flag -reuse (from %GOFLAGS%): bad')
    expect(refusedGoflags('go: example.com/m@v1.0.0: reading (from $GOFLAGS): 500\n')).toBeUndefined()
    expect(refusedGoflags('go: downloading example.com/m v1.0.0\n')).toBeUndefined()
  })

  it('a bad value go meets in the download stops the retries, as an unknown flag does', () => {
    const outcome = (line: string) => ({ exit: { code: 2, signal: null }, endedBy: 'exit' as const, errors: [line], waitingOn: [] })
    expect(classify(outcome('go: invalid boolean value "maybe" for flag -modcacherw (from $GOFLAGS): parse error'))).toMatchObject({ reason: 'invalid GOFLAGS', next: 'stop' })
  })
})
