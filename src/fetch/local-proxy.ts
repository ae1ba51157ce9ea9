// The module proxy go talks to, on 127.0.0.1: during an attempt, for what go needs before the
// speculative fetch has put it in go's download cache; for later steps, as the job's proxy. It
// answers from files already fetched and verified, joins a fetch under way, or fetches at once.
// A file go.sum names is only ever served after it matched go.sum. Anything else (version
// lists, files go.sum does not name) is passed through for go's own checks. When no candidate
// could serve a file it answers 502, or the 404/410 they gave, so that go moves on to the real
// chain behind it (`|`). Given a checksum database, it says it proxies it, and relays go's
// lookups over the routes to it.
//
// Anyone on the machine can reach 127.0.0.1: only requests under the secret path prefix are
// served, and of those only the ones naming what go itself could ask (module/request.ts,
// module/sumdb-request.ts); the rest get a 4xx before anything reaches a file or a candidate.
import { timingSafeEqual } from 'node:crypto'
import { closeSync, createReadStream, fstatSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { MAX_BYTES } from '../module/limits.ts'
import { parseRequestPath } from '../module/request.ts'
import { parseSumdbPath } from '../module/sumdb-request.ts'
import { type FileJob, jobFor } from '../module/vouched.ts'
import { oneLine } from '../util/untrusted.ts'
import type { Fetcher } from './fetcher.ts'
import type { Outcome } from './race.ts'
import { readAt } from './read-at.ts'

export interface LocalProxy {
  /** Where go reaches it: with the secret path prefix. */
  url: string
  /** Requests that carried the secret (go's), and how many were served from a file. */
  requests: number
  served: number
  /** Requests without the secret path prefix, refused. */
  refused: number
  /** Requests with the secret that named nothing go could ask, refused with a 4xx. */
  malformed: number
  close: () => Promise<void>
}

/**
 * Requests answered at once, at most; any beyond get 503 at once, and go moves on down the chain
 * behind (`|`). go itself asks a few dozen at a time; anyone holding the secret could queue
 * thousands behind the connection pool, where the floor does not watch them yet, and each waits
 * its turn and holds its memory: 2,000 of them kept go's next request unanswered for over a
 * minute, 20,000 took the proxy to 458 MiB. Checksum database requests are counted apart, with
 * as many again: go has no chain behind them (it asks every lookup of the first proxy that said
 * it proxies the database, and fails on any other answer), so module requests, which go routes
 * around, must never use up their room.
 */
export const MAX_IN_FLIGHT = 256

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
 * `known` holds the files go.sum vouches for, by request path (module/vouched.ts). Only requests
 * under `/<secret>/` are served: on a shared runner, a port on 127.0.0.1 is open to every user
 * of the machine, the secret only to the job that was given it.
 */
export async function startLocalProxy(
  fetcher: Fetcher,
  known: Map<string, FileJob>,
  options: { secret: string; sumdb?: () => SumdbRelay | undefined; listen?: { host: string; port: number } }
): Promise<LocalProxy> {
  const prefix = Buffer.from(`/${options.secret}/`)
  const sockets = new Set<Socket>()
  const inFlight = { modules: 0, sumdb: 0 }
  const proxy: LocalProxy = { url: '', requests: 0, served: 0, refused: 0, malformed: 0, close: async () => undefined }
  const server = http.createServer((request, response) => {
    // The path as sent, never normalised: `..` and `%2F` are for the checks below to refuse, not to resolve.
    const raw = Buffer.from(request.url ?? '', 'latin1')
    if (raw.length < prefix.length || !timingSafeEqual(raw.subarray(0, prefix.length), prefix)) {
      proxy.refused++
      return fail(response, 403, 'forbidden')
    }
    proxy.requests++
    const refuse = (status: number, why: string) => {
      proxy.malformed++
      fail(response, status, why)
    }
    if (request.method !== 'GET') return refuse(405, 'only GET is served')
    // go sends neither a query nor a fragment: `?` and `#` are in no module path, version or checksum database path.
    const rest = raw.subarray(prefix.length).toString('latin1')
    let job: FileJob
    let from = fetcher
    let lane: keyof typeof inFlight = 'modules'
    if (rest.startsWith('sumdb/')) {
      const sumdb = options.sumdb?.()
      const [, name, ...relayed] = rest.split('/')
      // Not the checksum database the step probed: go then asks the database itself.
      if (!sumdb || name !== sumdb.name) return refuse(404, 'no such checksum database here')
      const asked = parseSumdbPath(relayed.join('/'))
      if ('problem' in asked) return refuse(400, asked.problem)
      if (asked.kind === 'supported') {
        response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        return response.end()
      }
      // A lookup, tile or tree head: signed, and checked by go.
      job = { module: `checksum database ${sumdb.name}`, version: '', kind: 'other', path: asked.path, maxBytes: MAX_BYTES.sumdb, transient: true }
      from = sumdb.fetcher
      lane = 'sumdb'
    } else {
      const asked = parseRequestPath(rest)
      if ('problem' in asked) return refuse(400, asked.problem)
      job = jobFor(known, asked)
    }
    if (inFlight[lane] >= MAX_IN_FLIGHT) return fail(response, 503, `busy: ${MAX_IN_FLIGHT} requests are being answered here`)
    inFlight[lane]++
    // A file fetched for this request alone is given up when its client goes away: nobody else will ask for it.
    const gone = job.transient ? new AbortController() : undefined
    response.once('close', () => {
      inFlight[lane]--
      gone?.abort(new Error('its client went away'))
    })
    void from.get(job, gone ? { signal: gone.signal } : {}).then(
      outcome => answer(outcome, job, response, () => proxy.served++)
    ).catch((e: Error) => fail(response, 502, e.message))
  })
  server.keepAliveTimeout = 30_000
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  const { host, port } = options.listen ?? { host: '127.0.0.1', port: 0 }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  proxy.url = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}/${options.secret}`
  proxy.close = () =>
    new Promise(resolve => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  return proxy
}

/** Files up to this size are read in one synchronous call and sent whole: most of what go asks (go.mod and .info files) is far smaller, and a stream costs thread-pool round trips for each. */
const READ_WHOLE = 64 << 10

function answer(outcome: Outcome, job: FileJob, response: http.ServerResponse, onServed: () => void): void {
  if (outcome.kind === 'absent') return fail(response, outcome.status, `not found: ${job.module}@${job.version}`)
  if (outcome.kind === 'failed') return fail(response, 502, `no candidate served ${job.path}: ${outcome.why}`)
  // A file fetched for this request alone is removed (and its bytes given back to the budget for
  // such files) once the response is over, however it ended: sent whole, cut short, or its client
  // gone before the answer came (go killed or interrupted; anyone with the secret, request after
  // request). Left, each would hold up to 500 MiB of the runner's disk for as long as the proxy lives.
  const release = outcome.release
  if (release) {
    if (response.closed) release()
    else response.once('close', release)
  }
  // Its client gone already, nothing is opened for it: the response's 'close' was before this
  // answer, so a stream piped into it would wait for a drain that never comes, holding the file open.
  if (response.closed) return
  // The file was checked when it was stored, but go's module cache is shared ground: it is
  // opened again as the store reached it (each directory on its way without a link, the file
  // refused unless regular), so that a FIFO or device put in its place meanwhile is refused at
  // once (an open of one waits for a writer), a link on its way is not followed (into a mount
  // that never answers, the open would hold this thread in the kernel), and a file of another
  // size is not sent under this one's length.
  let fd: number | undefined
  try {
    fd = outcome.open()
    const { size } = fstatSync(fd)
    if (size !== outcome.size) throw new Error(`its size changed from ${outcome.size} to ${size} bytes`)
  } catch (e) {
    if (fd !== undefined) closeSync(fd)
    return fail(response, 502, `${job.path} could not be served: ${(e as Error).message}`)
  }
  const head = { 'content-type': CONTENT_TYPE[job.kind] ?? 'text/plain; charset=utf-8', 'content-length': outcome.size }
  if (outcome.size <= READ_WHOLE) {
    let body: Buffer
    try {
      body = readAt(fd, 0, outcome.size)
    } catch (e) {
      return fail(response, 502, `${job.path} could not be served: ${(e as Error).message}`)
    } finally {
      closeSync(fd)
    }
    response.writeHead(200, head).end(body)
    return onServed()
  }
  response.writeHead(200, head)
  const stream = createReadStream('', { fd, end: outcome.size - 1 })
  // A client gone lets go of the file; a file cut short ends the response as broken, never as whole under a length it did not reach.
  response.on('close', () => stream.destroy())
  stream.on('error', () => response.destroy())
  stream.on('end', () => {
    if (stream.bytesRead !== outcome.size) return void response.destroy()
    response.end()
    onServed()
  })
  stream.pipe(response, { end: false })
}

function fail(response: http.ServerResponse, status: number, text: string): void {
  if (response.headersSent) return void response.destroy()
  // go quotes a text/plain body in its error, each of its lines on a line of go's own: what went
  // wrong reaches the log. A later step's go writes to the job's log as it is, and why may hold a
  // candidate's words (an .info's Version, a zip entry's name): one line, every control
  // character shown, and defused (inert) where the runner would find a command anywhere in it.
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' })
  response.end(`${shortened(oneLine(text), GO_SHOWS_BYTES)}\n`)
}

/** go shows a line of a body only when it fits in this many bytes, else nothing of it (cmd/go/internal/web: maxErrorDetailBytes). */
const GO_SHOWS_BYTES = 8 * 81

/** `line` cut to at most `bytes` bytes of UTF-8, at a character's boundary, with … where it was cut. */
function shortened(line: string, bytes: number): string {
  const whole = Buffer.from(line)
  if (whole.length <= bytes) return line
  let end = bytes - Buffer.byteLength('…')
  while (end > 0 && ((whole[end] as number) & 0xc0) === 0x80) end--
  return `${whole.subarray(0, end).toString()}…`
}
