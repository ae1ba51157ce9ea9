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
