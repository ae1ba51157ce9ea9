// The fetch's store (src/fetch/store.ts) in go's module cache: a verified zip's tree is moved
// where go extracts it only under go's lock on that module version (or while go, waiting for
// the zip, holds it), never beside go's `.partial` marker, and what is not kept is removed.
// Another process holds the lock with flock(1), as go does with flock(2).
import { zipSync } from 'fflate'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { hashZip } from '../src/fetch/zip-hash.ts'
import { Store } from '../src/fetch/store.ts'
import { LOCK_WAIT_MS } from '../src/util/timing.ts'
import { holdLock, type LockHolder } from './support/lock-holder.ts'

const MODULE = 'example.com/m'
const VERSION = 'v1.0.0'
const ZIP = zipSync({ [`${MODULE}@${VERSION}/go.mod`]: Buffer.from(`module ${MODULE}\n`), [`${MODULE}@${VERSION}/a/a.go`]: Buffer.from('package a\n') })
const HASH = (() => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'zip-')), 'm.zip')
  writeFileSync(file, ZIP)
  return hashZip(file).hash
})()
const job = { module: MODULE, version: VERSION, kind: 'zip', hash: HASH, path: `${MODULE}/@v/${VERSION}.zip` }

const holders: LockHolder[] = []
afterEach(() => {
  for (const holder of holders.splice(0)) holder.release()
})

function moduleCache(): { modcache: string; at: (name: string) => string; tree: string } {
  const modcache = mkdtempSync(path.join(os.tmpdir(), 'modcache-'))
  const dir = path.join(modcache, 'cache', 'download', MODULE, '@v')
  mkdirSync(dir, { recursive: true })
  return { modcache, at: name => path.join(dir, name), tree: path.join(modcache, `${MODULE}@${VERSION}`) }
}

/** Another process holding go's lock on the module version until the test ends. */
async function holdGoLock(lockFile: string): Promise<void> {
  holders.push(await holdLock(lockFile))
}

/** One download through the store: the bytes written, the zip hashed with its files written out, then kept. */
async function fetchThrough(store: Store, signals: { goAsked?: AbortSignal; stop?: AbortSignal } = {}): Promise<{ placed: boolean; ms: number }> {
  const pending = store.begin(job, true)
  try {
    writeFileSync(pending.temp, ZIP, { flag: 'wx' })
    const { dirs } = hashZip(pending.temp, pending.tree)
    const started = Date.now()
    const kept = await pending.keep(dirs, { goAsked: signals.goAsked ?? new AbortController().signal, stop: signals.stop ?? new AbortController().signal })
    return { placed: kept.placed, ms: Date.now() - started }
  } finally {
    await pending.end()
  }
}

const leftovers = (modcache: string) => [...readdirSync(modcache, { recursive: true, encoding: 'utf8' })].filter(name => /\.partial$|\.tmp-/.test(name) && !name.endsWith(`${VERSION}.partial`))

describe("the fetch's store in go's module cache", () => {
  it('with nobody else at work: the tree goes into place under the lock, then the zip and its .ziphash', async () => {
    const { modcache, at, tree } = moduleCache()
    const store = new Store({ root: modcache, downloads: 'cache/download', extract: { writable: false } })

    expect(await fetchThrough(store)).toMatchObject({ placed: true })

    expect(readFileSync(path.join(tree, 'a', 'a.go'), 'utf8')).toBe('package a\n')
    expect(readFileSync(at(`${VERSION}.ziphash`), 'utf8')).toBe(HASH)
    expect(existsSync(at(`${VERSION}.lock`))).toBe(true)
    expect(leftovers(modcache)).toEqual([])
  })

  it('another process holds the lock: the tree waits, and goes into place as soon as go asks for the zip (go holds the lock for it then)', async () => {
    const { modcache, at, tree } = moduleCache()
    await holdGoLock(at(`${VERSION}.lock`))
    const store = new Store({ root: modcache, downloads: 'cache/download', extract: { writable: true } })
    const goAsked = new AbortController()
    setTimeout(() => goAsked.abort(), 300)

    const kept = await fetchThrough(store, { goAsked: goAsked.signal })

    expect(kept.placed).toBe(true)
    expect(kept.ms).toBeLessThan(LOCK_WAIT_MS)
    expect(existsSync(path.join(tree, 'go.mod'))).toBe(true)
    expect(leftovers(modcache)).toEqual([])
  })

  it('another process holds the lock past the bound: the tree is left to go, the verified zip kept', async () => {
    const { modcache, at, tree } = moduleCache()
    await holdGoLock(at(`${VERSION}.lock`))
    const store = new Store({ root: modcache, downloads: 'cache/download', extract: { writable: true } })

    expect(await fetchThrough(store)).toMatchObject({ placed: false })

    expect(existsSync(tree)).toBe(false)
    expect(readFileSync(at(`${VERSION}.ziphash`), 'utf8')).toBe(HASH)
    expect(leftovers(modcache)).toEqual([])
  })

  it("go's .partial marker beside the module (another go extracting it): the tree is never moved in, even with the lock free", async () => {
    const { modcache, at, tree } = moduleCache()
    writeFileSync(at(`${VERSION}.partial`), '')
    // That go has made the module's directory and not yet written a file: a rename would replace it.
    mkdirSync(tree, { recursive: true })
    const store = new Store({ root: modcache, downloads: 'cache/download', extract: { writable: true } })

    expect(await fetchThrough(store)).toMatchObject({ placed: false })

    expect(readdirSync(tree)).toEqual([])
    expect(leftovers(modcache)).toEqual([])
  })

  it('the fetch closing while a tree waits for the lock: not placed, nothing left', async () => {
    const { modcache, at, tree } = moduleCache()
    await holdGoLock(at(`${VERSION}.lock`))
    const store = new Store({ root: modcache, downloads: 'cache/download', extract: { writable: true } })
    const stop = new AbortController()
    setTimeout(() => stop.abort(), 200)

    const kept = await fetchThrough(store, { stop: stop.signal })

    expect(kept.placed).toBe(false)
    expect(kept.ms).toBeLessThan(LOCK_WAIT_MS)
    expect(existsSync(tree)).toBe(false)
    expect(leftovers(modcache)).toEqual([])
  })
})
