// A real module proxy on loopback, serving a universe directory, that can misbehave on purpose.
import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net, { type AddressInfo, type Socket } from 'node:net'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { TAMPERED } from './universe.ts'

export type Fault =
  | { kind: 'none' }
  /** Accepts the connection, reads the request, never answers. */
  | { kind: 'hang' }
  /** Nothing listens: every connection is refused. */
  | { kind: 'refused' }
  /** Resets the connection (TCP RST) on every request. */
  | { kind: 'reset' }
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  /** 200 with a captive portal's HTML page for every path. */
  | { kind: 'html' }
  /** Serves `after` requests, then never answers again. */
  | { kind: 'stall-after'; after: number }
  /** Serves everything but .zip files, which it never answers. */
  | { kind: 'stall-zip' }
  /** Never answers requests for paths that contain one of `parts`; serves the rest. */
  | { kind: 'hang-on'; parts: string[] }
  /** Answers the first `count` requests with HTTP 500, then serves: a probe sees an error that go never meets. */
  | { kind: 'fail-first'; count: number }
  /** Answers every `every`th request with HTTP 500. */
  | { kind: 'fail-every'; every: number }
  /** Sends bodies `bytes` at a time, one chunk every `everyMs`: slow, but never stalled. Only .zip files with `zipOnly`. */
  | { kind: 'drip'; bytes: number; everyMs: number; zipOnly?: boolean }
  /** Serves everything, but each .zip is a valid zip with content that differs from go.sum's. */
  | { kind: 'tamper-zip' }
  /** Serves everything, but each .mod is a valid go.mod that differs from go.sum's. */
  | { kind: 'tamper-mod' }
  /** Announces the full Content-Length, sends half the body, closes the connection. */
  | { kind: 'truncate' }
  /** Redirects every request to an address where nothing listens. */
  | { kind: 'redirect-dead' }
  /** Accepts TCP connections on an https URL and never starts the TLS handshake. */
  | { kind: 'tls-hang' }
  /**
   * One of the slow-body family, for answers whose path holds one of `on` (the rest are served
   * whole, so that a probe of a .mod passes): the answer starts, then its body is slow. See SlowBody.
   */
  | { kind: 'slow-body'; how: SlowBody; on: string[] }
  /**
   * On an https proxy: connections after the first `after` get the server's side of the TLS
   * handshake (and everything after it) one byte per DRIP_MS. The first `after` are served, one
   * answer each.
   */
  | { kind: 'tls-drip'; after: number }

/**
 * How a slow body misbehaves. `headers-then-silence`: the headers, then nothing; `drip`: the
 * headers, then one byte every DRIP_MS; `half-then-silence`: the headers (with the full
 * Content-Length) and half the body, then nothing; `endless-chunked`: a chunked body, the whole
 * file, then one more byte every DRIP_MS, never its last chunk; `redirect-silent`: a redirect to
 * a host that accepts connections and never answers. The connection stays open in each.
 */
export type SlowBody = 'headers-then-silence' | 'drip' | 'half-then-silence' | 'endless-chunked' | 'redirect-silent'

/** The pace of the family's drips: the dripping candidate sent one byte every 400 ms. */
export const DRIP_MS = 400

export const healthy: Fault = { kind: 'none' }

export interface ProxyServer {
  url: string
  /** Paths requested, in order. */
  requests: string[]
  /** The Authorization header of each request, in the same order ('' when there was none). */
  authorizations: string[]
  /** Body bytes of the files it served: what crossed the link. */
  bytesServed: () => number
  /** Misbehaves from now on as `fault` says (a fault of answers, not of how it listens): a proxy that goes silent midway through a job. */
  setFault: (fault: Fault) => void
  close: () => Promise<void>
}

export interface ProxyOptions {
  /** Serve https with this key and certificate. */
  tls?: { key: string; cert: string }
  /** Require these Basic credentials (`user:password`); anything else gets 401. */
  basicAuth?: string
  /** Delay every answer this long, like a proxy across a network. */
  latencyMs?: number
  /** Share this many bytes per second among all answers, like a link of that bandwidth. */
  bandwidthBytesPerSec?: number
  /** Proxy this checksum database: `/sumdb/<name>/supported` answers 200, the rest is relayed to `url`. */
  sumdb?: { name: string; url: string }
}

/** A loopback port where nothing listens (bound, then released): for a refused address, or a server to start on. */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}

/** Resolves once something accepts connections on the loopback `port`; throws if `child` (the server, started by the test) exits first or the deadline passes. */
export async function listening(port: number, child: ChildProcess, what: string, deadline = Date.now() + 15_000): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`)
    const open = await new Promise<boolean>(resolve => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false))
      socket.unref()
      socket.once('connect', () => socket.destroy())
    })
    if (open) return
    await sleep(50)
  }
  throw new Error(`${what} did not start listening`)
}

export async function startProxy(root: string, initial: Fault = healthy, options: ProxyOptions = {}): Promise<ProxyServer> {
  let fault = initial
  const requests: string[] = []
  const authorizations: string[] = []
  if (fault.kind === 'refused') {
    return { url: `http://127.0.0.1:${await closedPort()}`, requests, authorizations, bytesServed: () => 0, setFault: () => undefined, close: async () => undefined }
  }
  const deadEnd = fault.kind === 'redirect-dead' ? `http://127.0.0.1:${await closedPort()}` : ''
  const sockets = new Set<Socket>()
  // A host that accepts connections and never answers: where `redirect-silent` sends requests.
  let silentHost: Promise<string> | undefined
  const silent = () => (silentHost ??= listen(net.createServer(socket => track(socket)), 'http'))
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    // A client that gave up resets the connection: nothing to report.
    socket.on('error', () => undefined)
  }
  const servers: net.Server[] = []
  const listen = async (server: net.Server, scheme: string) => {
    servers.push(server)
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`
  }
  const link = { served: 0, bucket: options.bandwidthBytesPerSec ? tokenBucket(options.bandwidthBytesPerSec) : undefined }
  const handler: http.RequestListener = (request, response) => {
    if (options.latencyMs) setTimeout(() => answer(request, response), options.latencyMs)
    else answer(request, response)
  }
  const answer: http.RequestListener = (request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)
    requests.push(urlPath)
    authorizations.push(request.headers.authorization ?? '')
    // A connection tls-drip spares serves one answer: later requests need new connections, which drip.
    if (fault.kind === 'tls-drip') response.setHeader('connection', 'close')
    if (options.basicAuth && request.headers.authorization !== `Basic ${Buffer.from(options.basicAuth).toString('base64')}`) {
      response.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="modules"' })
      return response.end('unauthorized\n')
    }
    switch (fault.kind) {
      case 'hang':
        return
      case 'reset':
        return request.socket.resetAndDestroy()
      case 'status':
        response.writeHead(fault.status, { 'content-type': 'text/plain', ...fault.headers })
        return response.end(`${fault.status} from a misbehaving proxy\n`)
      case 'fail-first':
        if (requests.length <= fault.count) {
          response.writeHead(500, { 'content-type': 'text/plain' })
          return response.end('500 from a proxy that is still warming up\n')
        }
        break
      case 'fail-every':
        if (requests.length % fault.every === 0) {
          response.writeHead(500, { 'content-type': 'text/plain' })
          return response.end('500 from a flaky proxy\n')
        }
        break
      case 'stall-zip':
        if (urlPath.endsWith('.zip')) return
        break
      case 'redirect-dead':
        response.writeHead(302, { location: deadEnd + urlPath })
        return response.end()
      case 'html':
        response.writeHead(200, { 'content-type': 'text/html' })
        return response.end('<!DOCTYPE html><html><body><h1>Sign in to the guest network</h1></body></html>\n')
      case 'stall-after':
        if (requests.length > fault.after) return
        break
      case 'hang-on':
        if (fault.parts.some(part => urlPath.includes(part))) return
        break
      case 'slow-body':
        if (fault.how === 'redirect-silent' && fault.on.some(part => urlPath.includes(part))) {
          return void silent().then(host => {
            response.writeHead(302, { location: host + urlPath })
            response.end()
          })
        }
        break
    }
    const sumdbPrefix = options.sumdb && `/sumdb/${options.sumdb.name}/`
    if (sumdbPrefix && urlPath.startsWith(sumdbPrefix)) return relaySumdb(urlPath, urlPath.slice(sumdbPrefix.length), (options.sumdb as { url: string }).url, response, fault)
    serveFile(root, urlPath, response, fault, link)
  }
  let url: string
  if (fault.kind === 'tls-hang') {
    url = await listen(net.createServer(socket => {
      track(socket)
      socket.on('data', () => requests.push('(TLS ClientHello, never answered)'))
    }), 'https')
  } else if (options.tls) {
    // A front that hands each connection to the https server, or (tls-drip) relays the server's bytes to it one at a time.
    const tlsServer = https.createServer(options.tls, handler)
    tlsServer.on('secureConnection', track)
    let connections = 0
    let inner: Promise<string> | undefined
    url = await listen(net.createServer(socket => {
      track(socket)
      connections++
      if (fault.kind !== 'tls-drip' || connections <= fault.after) return void tlsServer.emit('connection', socket)
      inner ??= listen(tlsServer, 'https')
      void inner.then(address => {
        const upstream = net.connect(Number(new URL(address).port), '127.0.0.1')
        track(upstream)
        socket.pipe(upstream)
        const pending: Buffer[] = []
        upstream.on('data', (chunk: Buffer) => pending.push(chunk))
        const timer = setInterval(() => {
          if (socket.destroyed) return clearInterval(timer)
          const head = pending[0]
          if (!head) return
          socket.write(head.subarray(0, 1))
          if (head.length > 1) pending[0] = head.subarray(1)
          else pending.shift()
        }, DRIP_MS)
        socket.on('close', () => {
          clearInterval(timer)
          upstream.destroy()
        })
      })
    }), 'https')
  } else {
    const plain = http.createServer(handler)
    plain.on('connection', track)
    url = await listen(plain, 'http')
  }
  return {
    url,
    requests,
    authorizations,
    bytesServed: () => link.served,
    setFault: next => {
      fault = next
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await Promise.all(servers.map(server => new Promise<void>(resolve => server.close(() => resolve()))))
    }
  }
}

interface Link {
  served: number
  bucket: TokenBucket | undefined
}

interface TokenBucket {
  /** Resolves when `bytes` may be sent. */
  take: (bytes: number) => Promise<void>
}

/** One link's bandwidth, shared by every answer in flight: each chunk waits for its turn. */
function tokenBucket(bytesPerSec: number): TokenBucket {
  let nextFree = performance.now()
  return {
    take: async bytes => {
      const now = performance.now()
      const start = Math.max(now, nextFree)
      nextFree = start + (bytes / bytesPerSec) * 1000
      const wait = nextFree - now
      if (wait > 1) await new Promise(resolve => setTimeout(resolve, wait))
    }
  }
}

const CHUNK = 16 * 1024

async function paced(content: Buffer, response: http.ServerResponse, bucket: TokenBucket): Promise<void> {
  for (let at = 0; at < content.length && !response.destroyed; at += CHUNK) {
    const chunk = content.subarray(at, at + CHUNK)
    await bucket.take(chunk.length)
    if (!response.write(chunk)) await new Promise(resolve => response.once('drain', resolve))
  }
  response.end()
}

function relaySumdb(urlPath: string, rest: string, url: string, response: http.ServerResponse, fault: Fault): void {
  if (rest === 'supported') {
    response.writeHead(200)
    return void response.end()
  }
  void fetch(`${url}/${rest}`).then(
    async answer => {
      const content = Buffer.from(await answer.arrayBuffer())
      const type = answer.headers.get('content-type') ?? 'text/plain'
      if (answer.status === 200 && slowBodyFor(fault, urlPath)) return slowly(response, type, content, slowBodyFor(fault, urlPath) as SlowBody)
      response.writeHead(answer.status, { 'content-type': type })
      response.end(content)
    },
    () => response.destroy()
  )
}

/** How the answer for `urlPath` is slowed, when the fault is of the slow-body family and covers it. */
function slowBodyFor(fault: Fault, urlPath: string): SlowBody | undefined {
  return fault.kind === 'slow-body' && fault.on.some(part => urlPath.includes(part)) ? fault.how : undefined
}

/** A 200 whose headers go out at once and whose body is slow as `how` says (redirects are answered before this). */
function slowly(response: http.ServerResponse, type: string, content: Buffer, how: SlowBody): void {
  const chunked = how === 'endless-chunked'
  response.writeHead(200, { 'content-type': type, ...(chunked ? {} : { 'content-length': content.length }) })
  response.flushHeaders()
  if (how === 'half-then-silence') return void response.write(content.subarray(0, Math.floor(content.length / 2)))
  if (how === 'drip') return drip(content, response, 1, DRIP_MS)
  if (chunked) {
    response.write(content)
    const timer = setInterval(() => (response.destroyed ? clearInterval(timer) : response.write('\n')), DRIP_MS)
  }
}

function serveFile(root: string, urlPath: string, response: http.ServerResponse, fault: Fault, link: Link): void {
  const wanted = path.join(root, path.normalize(urlPath))
  const zip = wanted.endsWith('.zip')
  // A tampered zip is a valid zip whose content differs: only go.sum can tell.
  const file = fault.kind === 'tamper-zip' && zip ? `${wanted}${TAMPERED}` : wanted
  if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
    response.writeHead(404, { 'content-type': 'text/plain' })
    response.end(`not found: ${urlPath}\n`)
    return
  }
  let content = readFileSync(file)
  if (fault.kind === 'tamper-mod' && file.endsWith('.mod')) content = Buffer.concat([content, Buffer.from('// tampered\n')])
  const type = file.endsWith('.info') ? 'application/json' : file.endsWith('.mod') ? 'text/plain' : 'application/zip'
  const slow = slowBodyFor(fault, urlPath)
  if (slow) return slowly(response, type, content, slow)
  response.writeHead(200, { 'content-type': type, 'content-length': content.length })
  link.served += content.length
  if (link.bucket) return void paced(content, response, link.bucket)
  if (fault.kind === 'drip' && (zip || !fault.zipOnly)) return drip(content, response, fault.bytes, fault.everyMs)
  if (fault.kind === 'truncate') {
    return void response.write(content.subarray(0, Math.floor(content.length / 2)), () => response.socket?.destroy())
  }
  response.end(content)
}

function drip(content: Buffer, response: http.ServerResponse, bytes: number, everyMs: number): void {
  // The answer starts at once: only its body is slow.
  response.flushHeaders()
  let sent = 0
  const timer = setInterval(() => {
    if (response.destroyed) return clearInterval(timer)
    response.write(content.subarray(sent, sent + bytes))
    sent += bytes
    if (sent >= content.length) {
      clearInterval(timer)
      response.end()
    }
  }, everyMs)
}

export interface ProxyPool {
  start: (fault?: Fault, options?: ProxyOptions, root?: string) => Promise<ProxyServer>
  /** Closes every proxy started so far: a test file's afterEach. */
  closeAll: () => Promise<void>
}

/** The proxies of one test file, over a universe made later (in beforeAll), hence `root` as a function. */
export function proxyPool(root: () => string): ProxyPool {
  const open: ProxyServer[] = []
  return {
    start: async (fault = healthy, options = {}, dir = root()) => {
      const server = await startProxy(dir, fault, options)
      open.push(server)
      return server
    },
    closeAll: async () => {
      await Promise.all(open.splice(0).map(s => s.close()))
    }
  }
}
