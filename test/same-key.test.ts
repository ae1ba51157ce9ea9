// sameKey compares cache keys without ICU's collation where it can: it must answer as
// actions/cache's own comparison (localeCompare, accent-sensitive) does, which is the oracle here.
import { describe, expect, it } from 'vitest'
import { sameKey } from '../src/cache/keys.ts'

const oracle = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0

describe('sameKey', () => {
  it('answers as actions/cache compares keys, for keys as the action makes them and as services answer them', () => {
    const key = 'go-mod-Linux-x64-downloads-0123456789abcdef'
    const pairs: [string, string][] = [
      [key, key],
      [key, key.toLowerCase()],
      [key.toUpperCase(), key],
      [key, `${key}0`],
      [key, key.replace('-', '_')],
      ['go-build-linux-x64-1.26.0-', 'go-build-linux-x64-1.26.0-'],
      ['a b', 'a  b'],
      ['A~!@#$%^&*()[]{}|;:\'",.<>/?`', 'a~!@#$%^&*()[]{}|;:\'",.<>/?`'],
      // Beyond printable ASCII, actions/cache's own comparison decides: accents count, controls do not.
      ['Cafe', 'café'],
      ['café', 'CAFÉ'],
      ['a\u0001b', 'ab'],
      ['straße', 'STRASSE']
    ]
    for (const [a, b] of pairs) expect(sameKey(a, b), `${a} / ${b}`).toBe(oracle(a, b))
    // Every printable ASCII character against every other, in either case.
    for (let i = 0x20; i < 0x7f; i++) {
      for (let j = 0x20; j < 0x7f; j++) {
        const [a, b] = [`k${String.fromCharCode(i)}`, `K${String.fromCharCode(j)}`]
        expect(sameKey(a, b), `${a} / ${b}`).toBe(oracle(a, b))
      }
    }
  })
})
