// Real git servers on loopback for modules go fetches `direct`, as companies serve their private
// ones: `git daemon`, and `git http-backend` behind a small HTTP server that can ask for Basic
// credentials, throttle the transfer or stop midway. go reaches them by the module's own name
// (git.corp.test/…), which git rewrites with `url.<base>.insteadOf`, given in the environment
// (GIT_CONFIG_COUNT…) so that nothing touches the user's git configuration.
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { gunzipSync } from 'node:zlib'
import { closedPort, listening } from './proxy-server.ts'
import { signalGroup } from '../../src/util/process.ts'

/** The host private modules live under: git rewrites it, nothing resolves it. */
export const GIT_HOST = 'git.corp.test'

export interface GitModule {
  /** `git.corp.test/<name>.git`: the `.git` suffix makes go ask git directly, without a go-get lookup. */
  path: string
  version: string
  pkg: string
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    env: { ...process.env, GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.com', GIT_CONFIG_NOSYSTEM: '1', HOME: os.tmpdir() },
    stdio: ['ignore', 'pipe', 'pipe']
  })

/**
 * A module in a bare repository `<repos>/<name>.git`, its version a tag. `sourceBytes` of
 * source that does not compress away, so that a transfer of it takes time on a slow link.
 */
export function makeGitModule(repos: string, name: string, version = 'v1.0.0', sourceBytes = 2048): GitModule {
  const module: GitModule = { path: `${GIT_HOST}/${name}.git`, version, pkg: path.basename(name).replace(/\W/g, '') }
  const work = mkdtempSync(path.join(os.tmpdir(), 'git-work-'))
  const lines = Array.from({ length: Math.ceil(sourceBytes / 68) }, (_, i) => `// ${createHash('sha256').update(`${name}:${i}`).digest('hex')}\n`)
  writeFileSync(path.join(work, 'go.mod'), `module ${module.path}\n\ngo 1.21\n`)
  writeFileSync(path.join(work, `${module.pkg}.go`), `package ${module.pkg}\n\n${lines.join('')}\nfunc Name() string { return "${module.path}" }\n`)
  git(work, 'init', '-q', '-b', 'main')
  git(work, 'add', '.')
  git(work, 'commit', '-q', '-m', 'module')
  git(work, 'tag', version)
  const bare = path.join(repos, `${name}.git`)
  mkdirSync(path.dirname(bare), { recursive: true })
  git(repos, 'clone', '-q', '--bare', work, bare)
  return module
}

/** git's `insteadOf` for `https://git.corp.test/`, as environment: go passes it to every git it runs. */
export function gitRedirect(to: string): Record<string, string> {
  return { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: `url.${to}.insteadOf`, GIT_CONFIG_VALUE_0: `https://${GIT_HOST}/` }
}

export interface GitServer {
  /** Where `https://git.corp.test/` goes instead (credentials included, when the server wants them). */
  url: string
  /** Request paths, in order. */
  requests: string[]
  close: () => Promise<void>
}


/** `git daemon` serving every repository under `repos`. */
export async function startGitDaemon(repos: string): Promise<GitServer> {
  const port = await closedPort()
  const child = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${repos}`, '--listen=127.0.0.1', `--port=${port}`, repos], { stdio: 'ignore', detached: true })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  await listening(port, child, 'git daemon')
  return {
    url: `git://127.0.0.1:${port}/`,
    requests: [],
    close: async () => {
      if (child.exitCode === null && child.pid) signalGroup(child.pid, 'SIGKILL')
      await exited
    }
  }
}

export interface GitHttpOptions {
  /** Require these Basic credentials (`user:password`): 401 without them. */
  basicAuth?: string
  /** Send the answers' bodies at this many bytes a second (a slow link that keeps delivering). */
  bytesPerSec?: number
  /** Stop sending after this many bytes of an answer, and hold the connection open, silent. */
  stallAfterBytes?: number
  /** Answer a request for a pack (protocol v2's `command=fetch`) with this status; listing refs still works. */
  failFetch?: number
}

/** `git http-backend` (smart HTTP) behind a loopback HTTP server. */
export async function startGitHttp(repos: string, options: GitHttpOptions = {}): Promise<GitServer> {
  const requests: string[] = []
  const sockets = new Set<Socket>()
  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://x')
    requests.push(url.pathname)
    if (options.basicAuth && request.headers.authorization !== `Basic ${Buffer.from(options.basicAuth).toString('base64')}`) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="git"' })
      return void response.end()
    }
    // The body is read first when it decides the answer: whether it asks for a pack.
    let body: Buffer | undefined
    if (options.failFetch !== undefined && request.method === 'POST') {
      const chunks: Buffer[] = []
      for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk)
      body = Buffer.concat(chunks)
      const text = request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body
      if (text.includes('command=fetch')) {
        response.writeHead(options.failFetch, { 'content-type': 'text/plain' })
        return void response.end('no packs today\n')
      }
    }
    const backend = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '',
        GIT_PROJECT_ROOT: repos,
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_CONFIG_NOSYSTEM: '1',
        REQUEST_METHOD: request.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: request.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(request.headers['git-protocol'] ?? ''),
        REMOTE_ADDR: '127.0.0.1',
        REMOTE_USER: options.basicAuth?.split(':')[0] ?? ''
      },
      stdio: ['pipe', 'pipe', 'ignore']
    })
    if (body) backend.stdin.end(body)
    else request.pipe(backend.stdin)
    response.on('close', () => backend.kill('SIGKILL'))
    void relayCgi(backend.stdout, response, options)
  })
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const credentials = options.basicAuth ? `${options.basicAuth}@` : ''
  return {
    url: `http://${credentials}127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>(resolve => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

/** A CGI answer (headers, a blank line, the body) as an HTTP answer, paced as the options say. */
async function relayCgi(output: NodeJS.ReadableStream, response: http.ServerResponse, options: GitHttpOptions): Promise<void> {
  let head = Buffer.alloc(0)
  let sent = 0
  for await (const chunk of output as AsyncIterable<Buffer>) {
    let body = chunk
    if (!response.headersSent) {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) continue
      const headers: Record<string, string> = {}
      let status = 200
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':')
        const name = line.slice(0, colon).trim()
        const value = line.slice(colon + 1).trim()
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10)
        else headers[name] = value
      }
      response.writeHead(status, headers)
      body = head.subarray(end + 4)
    }
    for (let at = 0; at < body.length && !response.destroyed; ) {
      const piece = body.subarray(at, at + (options.bytesPerSec ? Math.max(1, Math.floor(options.bytesPerSec / 10)) : body.length))
      if (options.stallAfterBytes !== undefined && sent + piece.length > options.stallAfterBytes) {
        response.write(piece.subarray(0, Math.max(0, options.stallAfterBytes - sent)))
        // Silent from here on, the connection held open until the client gives up.
        return
      }
      response.write(piece)
      sent += piece.length
      at += piece.length
      if (options.bytesPerSec) await sleep(100)
    }
  }
  response.end()
}
