import { describe, expect, it } from 'vitest'
import { privateMatcher } from '../src/private.ts'

describe('privateMatcher (GOPRIVATE / GONOPROXY)', () => {
  const isPrivate = privateMatcher('*.corp.example.com,github.com/acme', 'git.example.org/team-?/[a-c]*')

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
  ])('%s private: %s', (module, expected) => expect(isPrivate(module)).toBe(expected))

  it('matches nothing when both are empty', () => expect(privateMatcher('', '')('github.com/acme/x')).toBe(false))
})

describe('privateMatcher, at its edges', () => {
  it('reads patterns trimmed, without trailing slashes, skipping empty ones', () => {
    const isPrivate = privateMatcher(' github.com/acme// ,, ', '')
    expect(isPrivate('github.com/acme')).toBe(true)
    expect(isPrivate('github.com/acme/tool')).toBe(true)
    expect(isPrivate('github.com/other')).toBe(false)
  })

  it('a pattern longer than the path never matches it, even with a wildcard element', () => {
    expect(privateMatcher('github.com/acme/*', '')('github.com/acme')).toBe(false)
  })

  it('two character classes in one element, side by side; an unclosed class matches nothing', () => {
    expect(privateMatcher('example.com/[ab][cd]x', '')('example.com/adx')).toBe(true)
    expect(privateMatcher('example.com/[ab][cd]x', '')('example.com/aex')).toBe(false)
    expect(privateMatcher('example.com/[ab', '')('example.com/[ab')).toBe(false)
    expect(privateMatcher('example.com/[ab', '')('example.com/a')).toBe(false)
  })
})
