// Where an archive member may land, and what an .info may hold: the rules the restore and the
// save apply, one name or one file at a time. The archives themselves are in cache-entry.test.ts.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { infoProblem } from '../src/module/matches.ts'
import { archiveBase, memberPrefix, placeOf } from '../src/cache/unpack.ts'

describe('placeOf', () => {
  const prefix = 'home/runner/go/pkg/mod/cache/go-mod-download-staging/entry'

  it.each<[string, string[] | RegExp]>([
    [`${prefix}/`, []],
    [`${prefix}/cache/download/example.com/m/@v/v1.0.0.zip`, ['cache', 'download', 'example.com', 'm', '@v', 'v1.0.0.zip']],
    [`${prefix}/example.com/m@v1.0.0/`, ['example.com', 'm@v1.0.0']],
    [`/${prefix}/cache/x`, /absolute/],
    ['C:/Users/x', /absolute/],
    [`${prefix}/../../../../../../../etc/passwd`, /`\.\.`/],
    [`${prefix}/cache/../x`, /`\.\.`/],
    [`${prefix}/./x`, /`\.`/],
    [`${prefix}//x`, /empty/],
    [`${prefix}/cache\\..\\x`, /backslash/],
    [`${prefix}/x\0y`, /NUL/],
    ['home/runner/go/pkg/mod/cache/go-mod-download-staging/entry2/x', /outside/],
    ['home/runner/go/pkg/mod/cache/x', /outside/],
    ['x', /outside/]
  ])('%j', (name, expected) => {
    const place = placeOf(name, prefix)
    if (Array.isArray(expected)) expect(place).toEqual(expected)
    else expect(place).toMatch(expected)
  })

  it('names a folder by its path from the root of its file system, whatever the working directory', () => {
    expect(archiveBase('/home/runner/go')).toBe('/')
    expect(memberPrefix('/home/run ner/gö/pkg/mod/')).toBe('home/run ner/gö/pkg/mod')
  })
})

describe('infoProblem', () => {
  const time = '2024-01-01T00:00:00Z'
  it.each<[string, unknown, RegExp | undefined]>([
    ['go’s own', { Version: 'v1.2.3', Time: time }, undefined],
    ['with a direct fetch’s origin', { Version: 'v1.2.3', Time: time, Origin: { VCS: 'git', URL: 'https://example.com/r', Hash: 'abc', Ref: 'refs/tags/v1.2.3' } }, undefined],
    ['another version', { Version: 'v1.2.4', Time: time }, /names "v1\.2\.4", not v1\.2\.3/],
    ['no time', { Version: 'v1.2.3' }, /no time/],
    ['a field go does not write', { Version: 'v1.2.3', Time: time, Token: 'ghp_x' }, /does not write \(Token\)/],
    ['an origin go does not write', { Version: 'v1.2.3', Time: time, Origin: { URL: 'u', Key: 'k' } }, /does not write \(Key\)/],
    ['an origin that is not an object', { Version: 'v1.2.3', Time: time, Origin: 'x' }, /does not write \(Origin\)/],
    ['an origin with a value that is not text', { Version: 'v1.2.3', Time: time, Origin: { URL: { nested: 'secret' } } }, /does not write \(URL\)/],
    ['an array', ['v1.2.3'], /not a JSON object/]
  ])('%s', (_, info, expected) => {
    const problem = infoProblem(JSON.stringify(info), 'v1.2.3')
    if (expected) expect(problem).toMatch(expected)
    else expect(problem).toBeUndefined()
  })

  it('is not JSON', () => expect(infoProblem('-----BEGIN OPENSSH PRIVATE KEY-----', 'v1.2.3')).toBe('.info is not JSON'))
})

// What the save stages is checked by lstat, then an .info or .ziphash is read for what it holds.
// The module cache is shared ground: another user can put a FIFO in its place in between, and a
// read of one waits for a writer, with the step's save waiting on it. In a node of its own,
// killed after 10 s.
describe.skipIf(process.platform === 'win32')('the save reads an .info or .ziphash again as what it was checked to be', () => {
  it('a FIFO put in its place after the check is refused at once; a link on its way is refused', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'admit-'))
    const rel = 'cache/download/example.com/m/@v/v1.0.0.info'
    mkdirSync(path.join(root, path.dirname(rel)), { recursive: true })
    writeFileSync(path.join(root, rel), JSON.stringify({ Version: 'v1.0.0', Time: '2024-01-01T00:00:00Z' }))
    const admit = (at: string) => {
      const code = `
        import { lstatSync, rmSync } from 'node:fs'
        import { execFileSync } from 'node:child_process'
        import { admitFor } from ${JSON.stringify(path.join(import.meta.dirname, '../src/cache/admit.ts'))}
        const [root, rel] = ${JSON.stringify([at, rel])}
        const admit = admitFor([{ module: 'example.com/m', version: 'v1.0.0', goMod: false, hash: 'h1:x=' }])
        console.log(await admit(rel, root, lstatSync(root + '/' + rel)))`
      return spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 10_000 })
    }
    expect(admit(root).stdout.trim()).toBe('undefined')
    // The file checked, then a FIFO in its place.
    const stat = statSync(path.join(root, rel))
    expect(stat.isFile()).toBe(true)
    rmSync(path.join(root, rel))
    execFileSync('mkfifo', [path.join(root, rel)])
    const started = performance.now()
    const fifo = admit(root)
    expect(fifo.stdout.trim()).toBe('unreadable: a FIFO, not a regular file')
    expect(performance.now() - started).toBeLessThan(5_000)
    // A directory on its way swapped for a link to one holding a good .info.
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'outside-'))
    mkdirSync(path.join(elsewhere, '@v'))
    writeFileSync(path.join(elsewhere, '@v/v1.0.0.info'), JSON.stringify({ Version: 'v1.0.0', Time: '2024-01-01T00:00:00Z' }))
    rmSync(path.join(root, 'cache/download/example.com/m'), { recursive: true })
    symlinkSync(elsewhere, path.join(root, 'cache/download/example.com/m'))
    expect(admit(root).stdout.trim()).toBe('unreadable: cache/download/example.com/m is a symlink, not a directory')
  })
})
