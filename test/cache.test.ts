import { describe, expect, it } from 'vitest'
import { cacheKeys, type KeyFacts, KEY_PREFIX, saveDecision } from '../src/cache/keys.ts'

const facts: KeyFacts = {
  os: 'linux',
  arch: 'amd64',
  contents: 'downloads',
  files: [
    { path: 'go.sum', content: Buffer.from('example.com/a v1.0.0 h1:abc=\n') },
    { path: 'tools/go.sum', content: Buffer.from('example.com/b v1.0.0 h1:def=\n') }
  ]
}

describe('cacheKeys', () => {
  it('is prefix, platform and contents, then a hash; the restore key is the same without the hash', () => {
    const { key, restoreKeys } = cacheKeys(facts)
    expect(key).toMatch(new RegExp(`^${KEY_PREFIX}-linux-amd64-downloads-[0-9a-f]{64}$`))
    expect(restoreKeys).toEqual([`${KEY_PREFIX}-linux-amd64-downloads-`])
    expect(key.startsWith(restoreKeys[0] as string)).toBe(true)
  })

  it('does not depend on the order the files were found in', () => {
    expect(cacheKeys({ ...facts, files: [...facts.files].reverse() }).key).toBe(cacheKeys(facts).key)
  })

  it.each<[string, Partial<KeyFacts>]>([
    ['a dependency file changes', { files: [{ path: 'go.sum', content: Buffer.from('example.com/a v1.0.1 h1:xyz=\n') }] }],
    ['a dependency file is renamed', { files: facts.files.map(f => ({ ...f, path: `sub/${f.path}` })) }],
    ['the contents change', { contents: 'everything' }],
    ['the platform changes', { os: 'darwin', arch: 'arm64' }]
  ])('changes when %s', (_, change) => {
    expect(cacheKeys({ ...facts, ...change }).key).not.toBe(cacheKeys(facts).key)
  })
})

describe('saveDecision', () => {
  const base = { cacheEnabled: true, goSum: true, saveCache: true, downloadOk: true, restore: 'miss' as const }

  it.each<[string, Partial<typeof base> | { restore: string; key?: string; matchedKey?: string }, boolean, string]>([
    ['after a complete download on a miss', {}, true, ''],
    ['after a partial restore, to store the whole set', { restore: 'partial' }, true, ''],
    ['never after a failed download', { downloadOk: false }, false, 'the download did not complete'],
    ['not when the exact key was restored', { restore: 'exact' }, false, 'the exact key was restored'],
    ['not when save-cache is false', { saveCache: false }, false, 'save-cache is false'],
    ['not when the cache is off', { cacheEnabled: false }, false, 'cache is off'],
    ['not without a go.sum', { goSum: false }, false, 'there is no go.sum to check it against'],
    ['not without a cache service', { restore: 'unavailable' }, false, 'no cache service'],
    ['not after the restore timed out', { restore: 'timed-out' }, false, 'the cache service did not answer the restore in time'],
    ['not when the entry under the same key failed to restore', { restore: 'failed', key: 'k-1', matchedKey: 'K-1' }, false, 'an entry under this key exists (its restore failed)'],
    ['after a failed restore of an older entry, under the new key', { restore: 'failed', key: 'k-2', matchedKey: 'k-1' }, true, ''],
    ['after a failed restore that found no entry', { restore: 'failed', key: 'k-2' }, true, '']
  ])('%s', (_, change, save, why) => {
    expect(saveDecision({ ...base, ...change } as Parameters<typeof saveDecision>[0])).toEqual({ save, why })
  })
})

describe('cacheKeys, by content alone', () => {
  it('changes when a dependency file changes and its path does not', () => {
    const edited = facts.files.map(f => (f.path === 'go.sum' ? { ...f, content: Buffer.from('example.com/a v1.0.0 h1:abd=\n') } : f))
    expect(edited.map(f => f.path)).toEqual(facts.files.map(f => f.path))
    expect(cacheKeys({ ...facts, files: edited }).key).not.toBe(cacheKeys(facts).key)
  })
})

describe('cacheKeys, exactly', () => {
  it('is this key for these files: a change here re-keys every user’s cache', () => {
    expect(cacheKeys(facts).key).toBe('go-mod-download-linux-amd64-downloads-edd32ec3021f4938c6ab17da70cc956d4cae00540fe1500ffe8d88cd041541d1')
  })

  it('is the same for the files in any order', () => {
    const three = [...facts.files, { path: 'b/go.work.sum', content: Buffer.from('example.com/c v1.0.0 h1:ghi=\n') }]
    const orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
    const keys = new Set(orders.map(order => cacheKeys({ ...facts, files: order.map(i => three[i]!) }).key))
    expect(keys.size).toBe(1)
  })
})
