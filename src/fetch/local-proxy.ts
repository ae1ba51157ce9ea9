// The module proxy go talks to during an attempt, on 127.0.0.1, for what go needs before the
// speculative fetch has put it in go's download cache: it answers from files already fetched
// and verified, joins a fetch under way, or fetches at once. A file go.sum names is only
// ever served after it matched go.sum. Anything else (version lists, files go.sum does not
// name) is passed through for go's own checks. When no candidate could serve a file it answers
// 502, or the 404/410 they gave, so that go moves on to the real chain behind it (`|`). Given a
// checksum database, it says it proxies it, and relays go's lookups over the routes to it.
import { createReadStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Fetcher, FileJob, Outcome } from './fetcher.ts'

export interface LocalProxy {
  /** Where go reaches it: with the secret path prefix, when it has one. */
  url: string
  /** Requests go made of it, and how many were served from a file. */
  requests: number
  served: number
  /** Requests without the secret path prefix, refused. */
  refused: number
  close: () => Promise<void>
}

const CONTENT_TYPE: Record<string, string> = {
  info: 'application/json',
  mod: 'text/plain; charset=utf-8',
  zip: 'application/zip'
}

/** The checksum database go asks, and a fetcher whose candidates are the routes to it (sumdb.ts). */
export interface SumdbRelay {
  name: string
  fetcher: Fetcher
}

/**
 * `jobFor` names the file a request path stands for, with its go.sum hash when go.sum has one.
 * With `secret`, only requests under `/<secret>/` are served: on a shared runner, a port on
 * 127.0.0.1 is open to every user of the machine, the secret only to the job that exported it.
 */
export async function startLocalProxy(
  fetcher: Fetcher,
  jobFor: (path: string) => FileJob & { transient?: boolean },
  options: { secret?: string; sumdb?: () => SumdbRelay | undefined } = {}
): Promise<LocalProxy> {
  const { secret } = options
  const sockets = new Set<Socket>()
  const proxy: LocalProxy = { url: '', requests: 0, served: 0, refused: 0, close: async () => undefined }
  const server = http.createServer((request, response) => {
    proxy.requests++
    // go percent-encodes the protocol's `!` (example.com/%21fixture): decoded, the path is the one go.sum's files are known by.
    let urlPath: string
    try {
      urlPath = decodeURIComponent(new URL(request.url ?? '/', 'http://local').pathname.replace(/^\/+/, ''))
    } catch {
      return fail(response, 400, 'malformed path')
    }
    if (secret !== undefined) {
      if (!urlPath.startsWith(`${secret}/`)) {
        proxy.refused++
        return fail(response, 403, 'forbidden')
      }
      urlPath = urlPath.slice(secret.length + 1)
    }
    const sumdb = options.sumdb?.()
    const sumdbPath = sumdb && urlPath.startsWith(`sumdb/${sumdb.name}/`) ? urlPath.slice(`sumdb/${sumdb.name}/`.length) : undefined
    if (sumdbPath === 'supported') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      return response.end()
    }
    // A lookup, tile or tree head: signed, and checked by go.
    const job = sumdbPath === undefined ? jobFor(urlPath) : { module: `checksum database ${sumdb?.name}`, version: '', kind: 'other' as const, path: sumdbPath, transient: true }
    void (sumdbPath === undefined ? fetcher : (sumdb as SumdbRelay).fetcher).get(job).then(
      outcome => answer(outcome, job, response, () => proxy.served++),
      (e: Error) => fail(response, 502, e.message)
    )
  })
  server.keepAliveTimeout = 30_000
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${secret === undefined ? '' : `/${secret}`}`
  proxy.close = () =>
    new Promise(resolve => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  return proxy
}

function answer(outcome: Outcome, job: FileJob & { transient?: boolean }, response: http.ServerResponse, onServed: () => void): void {
  if (outcome.kind === 'absent') return fail(response, outcome.status, `not found: ${job.module}@${job.version}`)
  if (outcome.kind === 'failed') return fail(response, 502, `no candidate served ${job.path}: ${outcome.why}`)
  response.writeHead(200, { 'content-type': CONTENT_TYPE[job.kind] ?? 'text/plain; charset=utf-8', 'content-length': outcome.size })
  const stream = createReadStream(outcome.file)
  stream.on('error', () => response.destroy())
  stream.on('end', () => {
    onServed()
    if (job.transient) void rm(outcome.file, { force: true })
  })
  stream.pipe(response)
}

function fail(response: http.ServerResponse, status: number, text: string): void {
  if (response.headersSent) return void response.destroy()
  // go quotes a text/plain body in its error: what went wrong reaches the log.
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' })
  response.end(`${text}\n`)
}
