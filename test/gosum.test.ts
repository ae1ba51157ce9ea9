import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { goModHash, hash1, parseGoSum, probeTarget, type SumLine } from '../src/module/gosum.ts'
import { escapePath } from '../src/module/path.ts'
import { escapeVersion } from '../src/module/version.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

describe('parseGoSum', () => {
  it('reads module and /go.mod lines and skips what is not a hash line', () => {
    const lines = parseGoSum(
      [
        'golang.org/x/text v0.14.0 h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=',
        'golang.org/x/text v0.14.0/go.mod h1:18ZOQIKpY8NJVqYksKHtTdi31H5itFRjB5/qKTNYzSU=',
        '',
        'broken line',
        'example.com/a v1.0.0 h2:future-hash='
      ].join('\n')
    )
    expect(lines).toEqual([
      { module: 'golang.org/x/text', version: 'v0.14.0', goMod: false, hash: 'h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=' },
      { module: 'golang.org/x/text', version: 'v0.14.0', goMod: true, hash: 'h1:18ZOQIKpY8NJVqYksKHtTdi31H5itFRjB5/qKTNYzSU=' }
    ])
  })
})

describe('parseGoSum against a hostile go.sum', () => {
  it('keeps only lines go could have written: a module path and a canonical version by go’s rules', () => {
    const hash = 'h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ='
    const lines = parseGoSum(
      [
        `../../../home/runner/.ssh v1.0.0 ${hash}`,
        `example.com/../../x v1.0.0 ${hash}`,
        `example.com/a ../../../x ${hash}`,
        `example.com/a v1.0.0/../../x/go.mod ${hash}`,
        `example.com/a v1.0 ${hash}`,
        `example.com/a master ${hash}`,
        `/abs/path v1.0.0 ${hash}`,
        `example.com/a v1.0.0-rc.1+incompatible ${hash}`
      ].join('\n')
    )
    expect(lines).toEqual([{ module: 'example.com/a', version: 'v1.0.0-rc.1+incompatible', goMod: false, hash }])
  })
})

describe('escapePath', () => {
  it('encodes capitals as the module proxy protocol does', () => {
    expect(escapePath('github.com/BurntSushi/toml')).toBe('github.com/!burnt!sushi/toml')
    expect(escapeVersion('v1.0.0-RC1')).toBe('v1.0.0-!r!c1')
  })
})

describe('goModHash', () => {
  let universe: Universe
  beforeAll(async () => {
    universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'gosum-')), { count: 3 })
  })

  it('equals what go itself wrote into go.sum for every module', () => {
    const sum = parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8')).filter(l => l.goMod)
    expect(sum).toHaveLength(3)
    for (const line of sum) {
      const mod = readFileSync(path.join(universe.proxyDir, escapePath(line.module), '@v', `${line.version}.mod`))
      expect(goModHash(mod)).toBe(line.hash)
    }
  })

  it('differs for different bytes', () => {
    expect(goModHash(Buffer.from('module a\n'))).not.toBe(goModHash(Buffer.from('module b\n')))
  })
})

describe('probeTarget', () => {
  const line = (module: string, version: string, goMod = true): SumLine => ({ module, version, goMod, hash: 'h1:x' })

  it('picks the first public /go.mod line in a stable order', () => {
    const lines = [line('golang.org/x/text', 'v0.14.0', false), line('git.corp.example.com/a', 'v1.0.0'), line('golang.org/x/text', 'v0.14.0'), line('github.com/b/c', 'v1.2.0')]
    expect(probeTarget(lines, m => m.startsWith('git.corp.'))).toEqual(line('github.com/b/c', 'v1.2.0'))
  })

  it('gives nothing when every module is private or there are no lines', () => {
    expect(probeTarget([line('git.corp.example.com/a', 'v1.0.0')], () => true)).toBeUndefined()
    expect(probeTarget([], () => false)).toBeUndefined()
  })
})

describe('go.sum and h1 hashes, at their edges', () => {
  it('reads lines with surrounding or repeated blanks, and CRLF endings', () => {
    expect(parseGoSum('  example.com/a v1.0.0 h1:abc=  \r\nexample.com/a  v1.0.0/go.mod\th1:def=\r\n')).toEqual([
      { module: 'example.com/a', version: 'v1.0.0', goMod: false, hash: 'h1:abc=' },
      { module: 'example.com/a', version: 'v1.0.0', goMod: true, hash: 'h1:def=' }
    ])
  })

  it('hashes a tree as dirhash does, whatever order its files come in, and refuses a name with a newline', () => {
    const sha = (text: string) => createHash('sha256').update(text).digest('hex')
    const files = [
      { name: Buffer.from('go.mod'), sha256Hex: sha('module example.com/a\n') },
      { name: Buffer.from('a.go'), sha256Hex: sha('package a\n') }
    ]
    // sha256 over "<hex>  a.go\n<hex>  go.mod\n", computed with sha256sum.
    expect(hash1(files)).toBe('h1:7l3C+nQsEDuWBd5MpdtBXaG9ayOFr5E0mKlhgJbXIV4=')
    expect(hash1([...files].reverse())).toBe('h1:7l3C+nQsEDuWBd5MpdtBXaG9ayOFr5E0mKlhgJbXIV4=')
    expect(() => hash1([{ name: Buffer.from('a\nb.go'), sha256Hex: sha('') }])).toThrow('file name with a newline: "a\\nb.go"')
  })

  it('probes the same line whatever order go.sum lists them in', () => {
    const lines: SumLine[] = [
      { module: 'example.com/b', version: 'v1.0.0', goMod: true, hash: 'h1:b' },
      { module: 'example.com/a', version: 'v1.2.0', goMod: true, hash: 'h1:a2' },
      { module: 'example.com/a', version: 'v1.1.0', goMod: true, hash: 'h1:a1' }
    ]
    expect(probeTarget(lines, () => false)?.hash).toBe('h1:a1')
    expect(probeTarget([...lines].reverse(), () => false)?.hash).toBe('h1:a1')
    expect(probeTarget([lines[1]!, lines[0]!, lines[2]!], () => false)?.hash).toBe('h1:a1')
  })
})
