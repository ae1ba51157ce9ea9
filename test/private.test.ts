// go's routing of modules by GOPRIVATE, GONOPROXY and GONOSUMDB (src/go/private.ts): the patterns
// matched against go's own module.MatchPrefixPatterns (the Go oracle, test/cache-server/modpath),
// and which setting sends a module direct.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { coverage, matchPrefixPatterns, moduleRouting } from '../src/go/private.ts'
import { type GoOracle, startGoOracle } from './support/go-oracle.ts'

describe('matchPrefixPatterns (GOPRIVATE, GONOPROXY, GONOSUMDB)', () => {
  const patterns = '*.corp.example.com,github.com/acme,git.example.org/team-?/[a-c]*'

  it.each([
    ['git.corp.example.com/lib', true],
    ['corp.example.com/lib', false],
    ['github.com/acme/tool', true],
    ['github.com/acme', true],
    ['github.com/acmecorp/tool', false],
    ['git.example.org/team-a/alpha', true],
    ['git.example.org/team-a/delta', false],
    ['git.example.org/team-ab/alpha', false],
    ['golang.org/x/text', false]
  ])('%s matches: %s', (module, expected) => expect(matchPrefixPatterns(patterns, module)).toBe(expected))

  it('matches nothing when empty, and nothing with a bad pattern', () => {
    expect(matchPrefixPatterns('', 'github.com/acme/x')).toBe(false)
    expect(matchPrefixPatterns('github.com/[acme', 'github.com/[acme')).toBe(false)
  })

  describe("against go's module.MatchPrefixPatterns", () => {
    let go: GoOracle
    beforeAll(async () => {
      go = await startGoOracle()
    })
    afterAll(() => go.close())

    const piece = (chars: string[], pieces: string[]) =>
      fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...chars) }, { weight: 1, arbitrary: fc.constantFrom(...pieces) }), { maxLength: 8 }).map(p => p.join(''))
    // Module paths hold none of the pattern characters, but the matcher must read them as go does wherever they are.
    const target = piece([...'abcx.-/*[]'], ['example.com', 'corp', '/v2', '//', 'é'])
    const glob = piece([...'abcx.-/*?[]^\\,'], ['example.com', '*.', '[a-c]', '[^a]', '\\*', '[]a]', '[a-]', ',', '/', 'é', '[é-ü]'])

    // The syntax's edges, each asked of go: escapes, classes, ranges, negation, stars, bad patterns, element counts.
    const edges: [string, string][] = [
      ['a\\*b', 'a*b'],
      ['a\\*b', 'axb'],
      ['a\\', 'a'],
      ['[a-c]x', 'bx'],
      ['[^a-c]x', 'bx'],
      ['[^a-c]x', 'dx'],
      ['[]a]', ']'],
      ['[\\]]', ']'],
      ['[a-]', 'a'],
      ['[', '['],
      ['*', 'a/b'],
      ['*/b', 'a/b/c'],
      ['a/*', 'a'],
      ['?', '/'],
      ['a*b*c', 'abxbc'],
      ['a*', 'abc/d'],
      ['x,*.corp', 'git.corp/a'],
      ['a//', 'a'],
      ['a/', 'a/b'],
      ['[é-ü]', 'ö'],
      ['*[', 'a']
    ]
    it.each(edges)('%s ~ %s as go says', async (globs, module) => {
      const [theirs] = await go.ask('matchPrefixPatterns', [JSON.stringify([globs, module])])
      expect(matchPrefixPatterns(globs, module)).toBe(theirs?.ok)
    })

    it('agrees on every generated pattern list and module path', async () => {
      await fc.assert(
        fc.asyncProperty(glob, target, async (globs, module) => {
          const [theirs] = await go.ask('matchPrefixPatterns', [JSON.stringify([globs, module])])
          expect(matchPrefixPatterns(globs, module), `${globs} ~ ${module}`).toBe(theirs?.ok)
        }),
        { numRuns: 3000 }
      )
    })
  })
})

describe('moduleRouting: go env reports GONOPROXY and GONOSUMDB in effect (GOPRIVATE unless set)', () => {
  it('names GOPRIVATE when GONOPROXY comes from it', () => {
    const routing = moduleRouting({ GOPRIVATE: 'git.corp.example.com', GONOPROXY: 'git.corp.example.com', GONOSUMDB: 'git.corp.example.com' })
    expect(routing.direct('git.corp.example.com/lib')).toBe('GOPRIVATE')
    expect(routing.direct('example.com/lib')).toBeUndefined()
    expect(routing.unchecked('git.corp.example.com/lib')).toBe(true)
  })

  it('names GONOPROXY when it was set apart, and follows it alone: GONOPROXY=none sends private modules through the proxies', () => {
    const apart = moduleRouting({ GOPRIVATE: 'git.corp.example.com', GONOPROXY: 'none', GONOSUMDB: 'git.corp.example.com' })
    expect(apart.direct('git.corp.example.com/lib')).toBeUndefined()
    expect(apart.unchecked('git.corp.example.com/lib')).toBe(true)
    expect(moduleRouting({ GOPRIVATE: '', GONOPROXY: 'git.corp.example.com', GONOSUMDB: '' }).direct('git.corp.example.com/lib')).toBe('GONOPROXY')
  })

  it('coverage: no proxy only when every known module is direct; nothing known covers nothing', () => {
    const routing = moduleRouting({ GOPRIVATE: 'git.corp.example.com', GONOPROXY: 'git.corp.example.com', GONOSUMDB: 'git.corp.example.com,example.com/public' })
    expect(coverage(['git.corp.example.com/a', 'git.corp.example.com/b'], routing)).toEqual({ noProxy: true, noSumdb: true, reasons: ['GOPRIVATE'] })
    expect(coverage(['git.corp.example.com/a', 'example.com/public'], routing)).toEqual({ noProxy: false, noSumdb: true, reasons: ['GOPRIVATE'] })
    expect(coverage(['git.corp.example.com/a', 'example.com/other'], routing)).toMatchObject({ noProxy: false, noSumdb: false })
    expect(coverage([], routing)).toMatchObject({ noProxy: false, noSumdb: false })
  })
})

describe('matchPrefixPatterns, at its edges', () => {
  it('one trailing slash of a pattern is dropped, as go drops it; empty patterns are skipped', () => {
    expect(matchPrefixPatterns('github.com/acme/,,', 'github.com/acme/tool')).toBe(true)
    expect(matchPrefixPatterns(',,', 'github.com/acme')).toBe(false)
  })

  it('a pattern longer than the path never matches it, even with a wildcard element', () => {
    expect(matchPrefixPatterns('github.com/acme/*', 'github.com/acme')).toBe(false)
  })

  it('two character classes in one element, side by side; an unclosed class matches nothing', () => {
    expect(matchPrefixPatterns('example.com/[ab][cd]x', 'example.com/adx')).toBe(true)
    expect(matchPrefixPatterns('example.com/[ab][cd]x', 'example.com/aex')).toBe(false)
    expect(matchPrefixPatterns('example.com/[ab', 'example.com/[ab')).toBe(false)
    expect(matchPrefixPatterns('example.com/[ab', 'example.com/a')).toBe(false)
  })
})
