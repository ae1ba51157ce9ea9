// Version order: module versions as golang.org/x/mod/semver compares them, Go versions as
// go/version (gover) does.
import { describe, expect, it } from 'vitest'
import { compareGoVersions, compareVersions } from '../src/go/semver.ts'

describe('version order', () => {
  it('orders module versions as golang.org/x/mod/semver does', () => {
    const sorted = ['v1.10.0', 'v1.2.0', 'v1.2.0-rc.1', 'v1.2.0-beta.2', 'v1.2.0-beta.10', 'v0.0.0-20240101000000-abcdefabcdef', 'v2.0.0+incompatible', 'v1.2.0-alpha'].sort(compareVersions)
    expect(sorted).toEqual(['v0.0.0-20240101000000-abcdefabcdef', 'v1.2.0-alpha', 'v1.2.0-beta.2', 'v1.2.0-beta.10', 'v1.2.0-rc.1', 'v1.2.0', 'v1.10.0', 'v2.0.0+incompatible'])
  })

  it('orders go versions as gover does', () => {
    expect(['1.21.1', '1.21', '1.16', '1.21rc1', '1.21.0', '1.9'].sort(compareGoVersions)).toEqual(['1.9', '1.16', '1.21', '1.21rc1', '1.21.0', '1.21.1'])
  })
})

/** Every pair of `ascending` compares as its positions do; each group of `equal` compares equal. */
function expectOrder(compare: (a: string, b: string) => number, ascending: string[], equal: string[][]): void {
  for (const [i, a] of ascending.entries()) {
    for (const [j, b] of ascending.entries()) expect(Math.sign(compare(a, b)), `${a} vs ${b}`).toBe(Math.sign(i - j))
  }
  for (const group of equal) for (const a of group) for (const b of group) expect(compare(a, b), `${a} vs ${b}`).toBe(0)
}

describe('compareVersions, pair by pair', () => {
  it('invalid versions first (in text order), then by number, then by pre-release, build metadata ignored', () => {
    expectOrder(
      compareVersions,
      [
        '!', 'bad', 'v1.0.0x', 'xv1.0.0',
        'v0.0.0-20240101000000-abcdefabcdef', 'v0.0.0', 'v0.9.0',
        'v1.0.0-alpha', 'v1.0.0-alpha.1', 'v1.0.0-alpha.beta', 'v1.0.0-beta', 'v1.0.0-beta.2', 'v1.0.0-beta.11', 'v1.0.0-rc.1', 'v1.0.0-rc.2', 'v1.0.0',
        'v1.2.3-456', 'v1.2.3-456.789', 'v1.2.3-10a', 'v1.2.3-456-789', 'v1.2.3-456a', 'v1.2.3-9b', 'v1.2.3-pre', 'v1.2.3-pre.1', 'v1.2.3-x1', 'v1.2.3-zzz', 'v1.2.3',
        'v1.2.10', 'v1.10.0', 'v2.0.0+incompatible', 'v10.0.0'
      ],
      [['v1', 'v1.0', 'v1.0.0'], ['v1.2.3', 'v1.2.3+meta'], ['v1.2.3-pre', 'v1.2.3-pre+meta']]
    )
  })
})

describe('compareGoVersions, pair by pair', () => {
  it('a missing or invalid version oldest; a language version before its pre-releases, beta before rc, then releases', () => {
    const compare = (a: string, b: string) => compareGoVersions(a === '(none)' ? undefined : a, b === '(none)' ? undefined : b)
    expectOrder(
      compare,
      ['(none)', '0.0.1', '1', '1.9', '1.16', '1.21', '1.21beta1', '1.21rc1', '1.21rc2', '1.21rc10', '1.21.0', '1.21.1', '1.21.10', '1.22', '2', '10'],
      [['(none)', 'junk', '1.21x', 'go1.21', '']]
    )
  })
})
