// What the local proxy sends go from files already stored (src/fetch/local-proxy.ts). A stored
// file is named by its path in go's module cache, which is shared ground: what is at that path
// when go asks is opened as the store's check opened it. The attacker here wins the race the
// check cannot close: the store below swaps the file right after finding it, as another user of
// the module cache could. Real loopback HTTP, real FIFOs; no candidate is ever asked.
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Fetcher } from '../src/fetch/fetcher.ts'
import { type LocalProxy, MAX_IN_FLIGHT, startLocalProxy } from '../src/fetch/local-proxy.ts'
import { Store, type StoredJob } from '../src/fetch/store.ts'
import { type Candidate, parseCandidates } from '../src/go/goproxy.ts'
import { goModHash } from '../src/module/gosum.ts'
import { MAX_BYTES } from '../src/module/limits.ts'
import type { FileJob } from '../src/module/vouched.ts'
import type { HttpClient } from '../src/net/client.ts'
import { canMount, hungMount } from './support/hung-mount.ts'
import { networkClient } from './support/net.ts'

/** A store whose files are replaced by `swap` just after it found them whole. */
class SwappedStore extends Store {
  swap: ((file: string) => void) | undefined
  override stored(job: StoredJob): ReturnType<Store['stored']> {
    const found = super.stored(job)
    if (found) this.swap?.(found.file)
    return found
  }
}

const MOD = 'module example.com/m\n\ngo 1.21\n'
/** Larger than what is read in one call: sent as a stream. */
const ZIP = Buffer.alloc(200 << 10, 7)
const files: Record<string, string | Buffer> = { 'example.com/m/@v/v1.0.0.mod': MOD, 'example.com/m/@v/v1.0.0.zip': ZIP, 'example.com/m/@v/v1.0.0.ziphash': 'h1:unchecked-here=\n' }

let root: string
let store: SwappedStore
let client: HttpClient
let proxy: LocalProxy
const fifos: string[] = []

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'local-proxy-'))
  store = new SwappedStore({ root, downloads: '' })
  const known = new Map<string, FileJob>()
  for (const kind of ['mod', 'zip'] as const) {
    const file = `example.com/m/@v/v1.0.0.${kind}`
    known.set(file, { module: 'example.com/m', version: 'v1.0.0', kind, path: file, maxBytes: MAX_BYTES[kind], hash: 'h1:unchecked-here=' })
  }
  client = await networkClient()
  const transientDir = mkdtempSync(path.join(os.tmpdir(), 'local-proxy-transient-'))
  // No candidate: a file not in the store could only fail.
  const fetcher = new Fetcher({ client, candidates: [], store, transientDir, rounds: 1, backoffMs: 10, stallTimeoutMs: 5_000 })
  proxy = await startLocalProxy(fetcher, known, { secret: 'secret' })
})

afterAll(async () => {
  // A reader still blocked opening a FIFO (the defence removed) is let go, so that this file's thread pool is whole again.
  for (const fifo of fifos) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK))
    } catch {
      // No reader waiting.
    }
  }
  await proxy.close()
  client.close()
})

function putFiles(): void {
  store.swap = undefined
  rmSync(path.join(root, 'example.com'), { recursive: true, force: true })
  mkdirSync(path.join(root, 'example.com/m/@v'), { recursive: true })
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(root, name), content)
}

/** go's request for `file`, given up after 5 s: its status and body, or `no answer`. */
function ask(file: string): Promise<{ status: number; body: Buffer } | 'no answer'> {
  return new Promise(resolve => {
    const request = http.get(`${proxy.url}/${file}`, { timeout: 5_000 }, response => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }))
      response.on('error', () => resolve('no answer'))
    })
    request.on('timeout', () => {
      request.destroy()
      resolve('no answer')
    })
    request.on('error', () => resolve('no answer'))
  })
}

const mkfifo = (file: string) => {
  rmSync(file)
  execFileSync('mkfifo', [file])
  fifos.push(file)
}

describe.skipIf(process.platform === 'win32')('a stored file is sent only as what the store checked', () => {
  it('sends a small file whole and a large one as a stream, each with its own length', async () => {
    putFiles()
    const mod = await ask('example.com/m/@v/v1.0.0.mod')
    expect(mod).toEqual({ status: 200, body: Buffer.from(MOD) })
    const zip = await ask('example.com/m/@v/v1.0.0.zip')
    expect(zip !== 'no answer' && zip.status === 200 && zip.body.equals(ZIP)).toBe(true)
  })

  it.each(['mod', 'zip'])('a .%s swapped for a FIFO after the check is refused at once with a 502, never opened for a writer', async kind => {
    putFiles()
    store.swap = mkfifo
    const started = performance.now()
    const answer = await ask(`example.com/m/@v/v1.0.0.${kind}`)
    expect(answer).not.toBe('no answer')
    if (answer === 'no answer') return
    expect(answer.status).toBe(502)
    expect(answer.body.toString()).toContain('a FIFO, not a regular file')
    expect(performance.now() - started).toBeLessThan(2_000)
    // The proxy still answers: no thread of its pool is held.
    putFiles()
    expect(await ask('example.com/m/@v/v1.0.0.mod')).toEqual({ status: 200, body: Buffer.from(MOD) })
  })

  it('a file swapped for a symlink to one elsewhere, and one swapped for a file of another length, are refused', async () => {
    putFiles()
    const elsewhere = path.join(mkdtempSync(path.join(os.tmpdir(), 'outside-')), 'secret.txt')
    writeFileSync(elsewhere, 'not for go\n')
    store.swap = file => {
      rmSync(file)
      execFileSync('ln', ['-s', elsewhere, file])
    }
    const linked = await ask('example.com/m/@v/v1.0.0.mod')
    expect(linked !== 'no answer' && linked.status).toBe(502)
    expect(linked !== 'no answer' && linked.body.toString()).not.toContain('not for go')

    putFiles()
    store.swap = file => writeFileSync(file, `${MOD}// and more\n`)
    const longer = await ask('example.com/m/@v/v1.0.0.mod')
    expect(longer !== 'no answer' && longer.status).toBe(502)
    expect(longer !== 'no answer' && longer.body.toString()).toContain(`its size changed from ${MOD.length} to`)
  })
})

// The file is reached as the store reached it: every directory on its way without a link, not only its last component.
describe.skipIf(process.platform === 'win32')('the stored file is reached only through real directories', () => {
  it('a directory on its way swapped for a link to one elsewhere holding a file of the same length is not followed', async () => {
    putFiles()
    const outside = mkdtempSync(path.join(os.tmpdir(), 'outside-'))
    const forged = MOD.replace('example.com/m', 'example.com/X')
    expect(forged.length).toBe(MOD.length)
    writeFileSync(path.join(outside, 'v1.0.0.mod'), forged)
    store.swap = () => {
      rmSync(path.join(root, 'example.com/m/@v'), { recursive: true })
      symlinkSync(outside, path.join(root, 'example.com/m/@v'))
    }
    const answer = await ask('example.com/m/@v/v1.0.0.mod')
    expect(answer !== 'no answer' && answer.body.toString()).not.toContain('example.com/X')
    expect(answer !== 'no answer' && answer.status).toBe(502)
  })

  it('the final link alone, to a file of the same length, is refused', async () => {
    putFiles()
    const outside = path.join(mkdtempSync(path.join(os.tmpdir(), 'outside-')), 'same.mod')
    writeFileSync(outside, MOD.replace('example.com/m', 'example.com/X'))
    store.swap = file => {
      rmSync(file)
      symlinkSync(outside, file)
    }
    const answer = await ask('example.com/m/@v/v1.0.0.mod')
    expect(answer !== 'no answer' && answer.status).toBe(502)
  })
})

describe.skipIf(process.platform !== 'linux')('a streamed file', () => {
  it('cut short after it was opened: the response is ended as broken at once, not left waiting for bytes that never come', async () => {
    putFiles()
    const big = Buffer.alloc(32 << 20, 1)
    const zip = path.join(root, 'example.com/m/@v/v1.0.0.zip')
    writeFileSync(zip, big)
    const started = performance.now()
    const result = await new Promise<string>(resolve => {
      const request = http.get(`${proxy.url}/example.com/m/@v/v1.0.0.zip`, { timeout: 10_000 }, response => {
        let got = 0
        response.once('data', () => {
          response.pause()
          truncateSync(zip, 0)
          setTimeout(() => response.resume(), 100)
        })
        response.on('data', (chunk: Buffer) => (got += chunk.length))
        response.on('end', () => resolve(`end after ${got}`))
        response.on('aborted', () => resolve('aborted'))
        response.on('error', () => resolve('aborted'))
      })
      request.on('timeout', () => {
        request.destroy()
        resolve('no answer')
      })
      request.on('error', () => resolve('aborted'))
    })
    expect(result).toBe('aborted')
    expect(performance.now() - started).toBeLessThan(5_000)
  }, 20_000)

  it('a client that goes away mid-stream leaves no descriptor open', async () => {
    putFiles()
    const zip = path.join(root, 'example.com/m/@v/v1.0.0.zip')
    writeFileSync(zip, Buffer.alloc(32 << 20, 1))
    const opened = () => readdirSync('/proc/self/fd').filter(fd => { try { return readlinkSync(`/proc/self/fd/${fd}`) === zip } catch { return false } }).length
    for (let i = 0; i < 3; i++) {
      await new Promise<void>(resolve => {
        const request = http.get(`${proxy.url}/example.com/m/@v/v1.0.0.zip`, response => {
          response.once('data', () => {
            request.destroy()
            resolve()
          })
        })
        request.on('error', () => resolve())
      })
    }
    await new Promise(resolve => setTimeout(resolve, 500))
    expect(opened()).toBe(0)
  }, 20_000)
})

// A directory on the file's way swapped for a link to a mount that never answers a lookup
// (support/hung-mount.ts). The proxy runs in a child: held, its whole event loop would be held,
// so it is asked from here.
describe.skipIf(!canMount)('a link on the way to a mount that never answers', () => {
  it('is refused at once, and the proxy answers the next request', async ({ skip }) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hang-'))
    const mount = await hungMount(dir)
    if (!mount) return skip('no FUSE mount here')
    const { mnt } = mount
    const cache = path.join(dir, 'modcache')
    mkdirSync(path.join(cache, 'example.com/m/@v'), { recursive: true })
    writeFileSync(path.join(cache, 'example.com/m/@v/v1.0.0.mod'), MOD)
    const src = path.join(import.meta.dirname, '..', 'src')
    const code = `
      import { rmSync, symlinkSync } from 'node:fs'
      import { Fetcher } from ${JSON.stringify(`${src}/fetch/fetcher.ts`)}
      import { startLocalProxy } from ${JSON.stringify(`${src}/fetch/local-proxy.ts`)}
      import { Store } from ${JSON.stringify(`${src}/fetch/store.ts`)}
      import { networkClient } from ${JSON.stringify(`${import.meta.dirname}/support/net.ts`)}
      const root = ${JSON.stringify(cache)}
      class Swapped extends Store {
        stored(job) {
          const found = super.stored(job)
          if (found && job.path.endsWith('.mod')) { rmSync(root + '/example.com/m/@v', { recursive: true }); symlinkSync(${JSON.stringify(mnt)}, root + '/example.com/m/@v') }
          return found
        }
      }
      const store = new Swapped({ root, downloads: '' })
      const known = new Map([['example.com/m/@v/v1.0.0.mod', { module: 'example.com/m', version: 'v1.0.0', kind: 'mod', path: 'example.com/m/@v/v1.0.0.mod', maxBytes: 1 << 20, hash: 'h1:x=' }]])
      const fetcher = new Fetcher({ client: await networkClient(), candidates: [], store, transientDir: ${JSON.stringify(dir)}, rounds: 1, backoffMs: 10, stallTimeoutMs: 5_000 })
      const proxy = await startLocalProxy(fetcher, known, { secret: 'secret' })
      console.log(proxy.url)`
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
    const url = await new Promise<string>(resolve => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())))
    const get = (file: string) =>
      new Promise<number | 'no answer'>(resolve => {
        const request = http.get(`${url}/${file}`, { timeout: 3_000 }, response => {
          response.resume()
          response.on('end', () => resolve(response.statusCode ?? 0))
          response.on('error', () => resolve('no answer'))
        })
        request.on('timeout', () => {
          request.destroy()
          resolve('no answer')
        })
        request.on('error', () => resolve('no answer'))
      })
    const first = await get('example.com/m/@v/v1.0.0.mod')
    const next = await get('example.com/m/@v/v1.0.0.zip')
    mount.release()
    child.kill('SIGKILL')
    expect(first).toBe(502)
    expect(next).not.toBe('no answer')
  }, 30_000)
})

// A file go.sum does not name (here a zip of a module it does not list) is fetched for one
// request into a file of its own, removed once it was sent. go may go away first: killed,
// interrupted, timed out; or anyone with the secret, on purpose, request after request. Each
// such file is up to 500 MiB of the runner's disk, and while the proxy lives nothing else
// removes it.
describe.skipIf(process.platform !== 'linux')('a file fetched for one request, its client gone', () => {
  const BIG = Buffer.alloc(4 << 20, 3)
  let upstream: http.Server
  let transientDir: string
  let fetcher: Fetcher
  let oneOff: LocalProxy
  let delayMs = 0
  const held: Promise<string>[] = []
  /** A go.mod go.sum names, larger than what is read in one call: fetched to the end for the store, and sent as a stream. */
  const NAMED_MOD = Buffer.from(`module example.com/named\n\ngo 1.21\n${'// padding\n'.repeat(8 << 10)}`)
  let storeDir: string

  beforeAll(async () => {
    upstream = http.createServer((request, response) => {
      if (request.url?.endsWith('/named/@v/v1.0.0.mod')) return void setTimeout(() => response.writeHead(200, { 'content-length': NAMED_MOD.length }).end(NAMED_MOD), 300)
      if (!request.url?.endsWith('.zip')) return void response.writeHead(404).end()
      if (request.url.includes('/held')) {
        // Its first bytes, then nothing until the request is given up: the fetch is under way when the client leaves.
        response.writeHead(200, { 'content-length': BIG.length }).write(BIG.subarray(0, 1 << 10))
        held.push(new Promise(resolve => response.once('close', () => resolve(response.writableFinished ? 'finished' : 'given up'))))
        return
      }
      setTimeout(() => response.writeHead(200, { 'content-length': BIG.length }).end(BIG), delayMs)
    })
    await new Promise<void>(resolve => upstream.listen(0, '127.0.0.1', resolve))
    const dir = mkdtempSync(path.join(os.tmpdir(), 'one-off-'))
    transientDir = path.join(dir, 'transient')
    const candidate = parseCandidates(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`)[0] as Candidate
    storeDir = path.join(dir, 'store')
    fetcher = new Fetcher({ client, candidates: [{ candidate, latencyMs: 0 }], store: new Store({ root: storeDir, downloads: '' }), transientDir, rounds: 1, backoffMs: 10, stallTimeoutMs: 5_000 })
    const named = 'example.com/named/@v/v1.0.0.mod'
    const known = new Map<string, FileJob>([[named, { module: 'example.com/named', version: 'v1.0.0', kind: 'mod', path: named, maxBytes: MAX_BYTES.mod, hash: goModHash(NAMED_MOD) }]])
    oneOff = await startLocalProxy(fetcher, known, { secret: 'secret' })
  })
  afterAll(async () => {
    await oneOff.close()
    await fetcher.close()
    await new Promise(resolve => upstream.close(resolve))
  })

  const leftOver = () => ({
    files: readdirSync(transientDir, { recursive: true }).filter(f => statSync(path.join(transientDir, String(f))).isFile()).length,
    open: readdirSync('/proc/self/fd').filter(fd => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${transientDir}/`)
      } catch {
        return false
      }
    }).length
  })

  /** Asks for a zip and goes away: after its first bytes, or `afterMs` after asking. */
  const askAndLeave = (module: string, afterMs?: number) =>
    new Promise<void>(resolve => {
      const request = http.get(`${oneOff.url}/${module}/@v/v1.0.0.zip`, response => {
        response.once('data', () => {
          request.destroy()
          resolve()
        })
      })
      request.on('error', () => resolve())
      if (afterMs !== undefined) setTimeout(() => request.destroy(), afterMs)
    })

  it('leaves neither the file nor a descriptor of it when the client went away mid-stream', async () => {
    delayMs = 0
    for (let i = 0; i < 3; i++) await askAndLeave(`example.com/midstream${i}`)
    await new Promise(resolve => setTimeout(resolve, 500))
    expect(leftOver()).toEqual({ files: 0, open: 0 })
  }, 20_000)

  it('leaves neither the file nor a descriptor of it when the client went away before the answer', async () => {
    delayMs = 300
    await Promise.all([0, 1, 2].map(i => askAndLeave(`example.com/early${i}`, 50)))
    await new Promise(resolve => setTimeout(resolve, 1_000))
    expect(leftOver()).toEqual({ files: 0, open: 0 })
  }, 20_000)

  // A file go.sum names is fetched to the end whoever left (it is kept for the next asker): its
  // answer then finds the response closed, and must open nothing for it.
  it('a file go.sum names, its client gone before the answer: fetched and kept, no descriptor of it left open', async () => {
    await new Promise<void>(resolve => {
      const request = http.get(`${oneOff.url}/example.com/named/@v/v1.0.0.mod`)
      request.on('error', () => resolve())
      setTimeout(() => request.destroy(), 50)
    })
    await new Promise(resolve => setTimeout(resolve, 1_000))
    expect(readdirSync(storeDir, { recursive: true }).map(String)).toContain(path.join('example.com', 'named', '@v', 'v1.0.0.mod'))
    // The store keeps the directories on its way open (confined.ts); the file itself must not be.
    const file = path.join(storeDir, 'example.com', 'named', '@v', 'v1.0.0.mod')
    expect(readdirSync('/proc/self/fd').filter(fd => readlinkOr(`/proc/self/fd/${fd}`) === file)).toEqual([])
  }, 20_000)

  it('gives up its fetch at once: the candidate is not left sending what nobody will read', async () => {
    await Promise.all([0, 1, 2].map(i => askAndLeave(`example.com/held${i}`, 300)))
    expect(held).toHaveLength(3)
    const given = await Promise.race([Promise.all(held), new Promise(resolve => setTimeout(() => resolve('still asked after 2 s'), 2_000))])
    expect(given).toEqual(['given up', 'given up', 'given up'])
    await new Promise(resolve => setTimeout(resolve, 200))
    expect(leftOver()).toEqual({ files: 0, open: 0 })
  }, 20_000)
})

// Each one-off file is removed once its answer is over, but its client decides when that is: 256
// requests for large zips, none of them read, would hold 256 times go's 500 MiB. The files
// fetched for one request share a budget of disk, under way or waiting to be sent.
describe('files fetched for one request, over their budget of disk', () => {
  const MIB = 1 << 20
  const SENT = Buffer.alloc(3 * MIB, 5)
  let upstream: http.Server
  let fetcher: Fetcher
  let budgeted: LocalProxy
  let transientDir: string
  const stalled = new Set<http.ServerResponse>()

  beforeAll(async () => {
    // `/stalls`: 3 MiB of a larger zip, then nothing; any other zip: 1 MiB at once.
    upstream = http.createServer((request, response) => {
      if (!request.url?.endsWith('.zip')) return void response.writeHead(404).end()
      if (request.url.includes('/stalls')) {
        stalled.add(response)
        return void response.writeHead(200, { 'content-length': 2 * SENT.length }).write(SENT)
      }
      response.writeHead(200, { 'content-length': MIB }).end(SENT.subarray(0, MIB))
    })
    await new Promise<void>(resolve => upstream.listen(0, '127.0.0.1', resolve))
    const dir = mkdtempSync(path.join(os.tmpdir(), 'budget-'))
    transientDir = path.join(dir, 'transient')
    const candidate = parseCandidates(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`)[0] as Candidate
    fetcher = new Fetcher({ client, candidates: [{ candidate, latencyMs: 0 }], store: new Store({ root: path.join(dir, 'store'), downloads: '' }), transientDir, rounds: 1, backoffMs: 10, stallTimeoutMs: 60_000, oneOffBudgetBytes: 3.5 * MIB })
    budgeted = await startLocalProxy(fetcher, new Map(), { secret: 'secret' })
  })
  afterAll(async () => {
    await budgeted.close()
    await fetcher.close()
    for (const response of stalled) response.destroy()
    await new Promise(resolve => upstream.close(resolve))
  })

  /** A zip asked on a connection of its own: its status and body's size, or `no answer` within 5 s; `keep` gets the request. */
  const ask = (module: string, keep?: http.ClientRequest[]) =>
    new Promise<{ status: number; bytes: number; text: string } | 'no answer'>(resolve => {
      const request = http.get(`${budgeted.url}/${module}/@v/v1.0.0.zip`, { agent: false }, response => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => {
          const body = Buffer.concat(chunks)
          resolve({ status: response.statusCode ?? 0, bytes: body.length, text: response.statusCode === 200 ? '' : body.toString() })
        })
      })
      keep?.push(request)
      request.on('error', () => resolve('no answer'))
      setTimeout(() => resolve('no answer'), 5_000).unref()
    })

  it('each file given back once its answer is over: more of them, one after another, than the budget holds', async () => {
    for (let i = 0; i < 8; i++) expect(await ask(`example.com/sent${i}`)).toMatchObject({ status: 200, bytes: MIB })
  }, 30_000)

  it('past the budget a one-off request fails, saying why; once the holder goes, it is served again and nothing is left', async () => {
    const held: http.ClientRequest[] = []
    const before = fetcher.bytes
    // 3 MiB under way, held by a candidate that sends no more.
    void ask('example.com/stalls', held)
    const deadline = Date.now() + 5_000
    while (fetcher.bytes - before < 3 * MIB && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    // 1 MiB more would be past 3.5 MiB: given up as it crosses, the candidate not blamed.
    const refused = await ask('example.com/over')
    expect(refused).toMatchObject({ status: 502 })
    expect((refused as { text: string }).text).toContain('busy: the files fetched here for one request already hold 3.5 MiB of disk, the most they may')
    expect([...fetcher.stats.values()][0]?.failures).toBe(0)
    for (const request of held) request.destroy()
    await new Promise(resolve => setTimeout(resolve, 300))
    expect(await ask('example.com/after')).toMatchObject({ status: 200, bytes: MIB })
    await new Promise(resolve => setTimeout(resolve, 200))
    expect(readdirSync(transientDir, { recursive: true }).filter(f => statSync(path.join(transientDir, String(f))).isFile())).toEqual([])
  }, 30_000)
})

describe('requests beyond what it answers at once', () => {
  let upstream: http.Server
  let busy: LocalProxy
  let fetcher: Fetcher
  let sumdbFetcher: Fetcher
  const waiting = new Set<http.ServerResponse>()

  beforeAll(async () => {
    // A candidate that holds every zip request unanswered, and has no .mod; its checksum database answers lookups.
    upstream = http.createServer((request, response) => {
      if (request.url?.includes('/lookup/')) return void response.writeHead(200).end('signed\n')
      if (!request.url?.endsWith('.zip')) return void response.writeHead(404).end()
      waiting.add(response)
    })
    await new Promise<void>(resolve => upstream.listen(0, '127.0.0.1', resolve))
    const dir = mkdtempSync(path.join(os.tmpdir(), 'busy-'))
    const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
    const candidate = parseCandidates(origin)[0] as Candidate
    fetcher = new Fetcher({ client, candidates: [{ candidate, latencyMs: 0 }], store: new Store({ root: path.join(dir, 'store'), downloads: '' }), transientDir: path.join(dir, 'transient'), rounds: 1, backoffMs: 10, stallTimeoutMs: 60_000 })
    const route = parseCandidates(`${origin}/sumdb/sum.example.com`)[0] as Candidate
    sumdbFetcher = new Fetcher({ client, candidates: [{ candidate: route, latencyMs: 0 }], store: new Store({ root: path.join(dir, 'sumdb'), downloads: '' }), transientDir: path.join(dir, 'sumdb-transient'), rounds: 1, backoffMs: 10, stallTimeoutMs: 5_000 })
    busy = await startLocalProxy(fetcher, new Map(), { secret: 'secret', sumdb: () => ({ name: 'sum.example.com', fetcher: sumdbFetcher }) })
  })
  afterAll(async () => {
    await busy.close()
    await fetcher.close()
    await sumdbFetcher.close()
    for (const response of waiting) response.destroy()
    await new Promise(resolve => upstream.close(resolve))
  })

  /** A request on a connection of its own: its status, or `no answer` within 5 s. */
  const statusOf = (file: string, keep?: http.ClientRequest[]) =>
    new Promise<number | 'no answer'>(resolve => {
      const request = http.get(`${busy.url}/${file}`, { agent: false }, response => {
        response.resume()
        resolve(response.statusCode ?? 0)
      })
      keep?.push(request)
      request.on('error', () => resolve('no answer'))
      setTimeout(() => resolve('no answer'), 5_000).unref()
    })

  it('are answered 503 at once, so that go moves on down the chain; once some end, it answers again', async () => {
    // Requests answered in full leave no count behind: more of them, one after another, than the limit.
    for (let i = 0; i < MAX_IN_FLIGHT + 20; i++) expect(await statusOf(`example.com/answered${i}/@v/v1.0.0.mod`)).toBe(404)
    const held: http.ClientRequest[] = []
    const before = busy.requests
    for (let i = 0; i < MAX_IN_FLIGHT; i++) void statusOf(`example.com/held${i}/@v/v1.0.0.zip`, held)
    // Every held request has reached the proxy (and its own fetch).
    const deadline = Date.now() + 10_000
    while (busy.requests - before < MAX_IN_FLIGHT && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    expect(busy.requests - before).toBe(MAX_IN_FLIGHT)
    const started = performance.now()
    expect(await statusOf('example.com/more/@v/v1.0.0.mod')).toBe(503)
    expect(performance.now() - started).toBeLessThan(2_000)
    for (const request of held.splice(0, 8)) request.destroy()
    await new Promise(resolve => setTimeout(resolve, 200))
    // The candidate's own answer (it has no .mod), not the proxy's refusal.
    expect(await statusOf('example.com/more/@v/v1.0.0.mod')).toBe(404)
    for (const request of held) request.destroy()
  }, 30_000)

  // go asks every checksum database lookup of the first proxy that said it proxies the database,
  // and fails on any answer but 200 (cmd/go/internal/modfetch/sumdb.go): there is no chain behind it.
  it('leave go’s checksum database lookups answered: a 503 there would fail go, not move it on', async () => {
    const held: http.ClientRequest[] = []
    for (let i = 0; i < MAX_IN_FLIGHT; i++) void statusOf(`example.com/lookups${i}/@v/v1.0.0.zip`, held)
    const deadline = Date.now() + 10_000
    while (busy.requests < 2 * MAX_IN_FLIGHT + 2 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    expect(await statusOf('example.com/more/@v/v1.0.0.mod')).toBe(503)
    expect(await statusOf('sumdb/sum.example.com/lookup/example.com/m@v1.0.0')).toBe(200)
    for (const request of held) request.destroy()
  }, 30_000)
})

/** Where a link points, or undefined when it is gone. */
function readlinkOr(link: string): string | undefined {
  try {
    return readlinkSync(link)
  } catch {
    return undefined
  }
}
