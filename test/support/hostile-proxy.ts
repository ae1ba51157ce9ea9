// A module proxy on loopback that serves a universe directory, except that it answers chosen
// paths with words of its own: an HTTP error whose reason phrase and text/plain body go quotes, or
// an .info whose Version holds what it likes. What an attacker's mirror, or a broken one, says.
import { existsSync, readFileSync, statSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'

export interface HostileAnswer {
  status: number
  /** The reason phrase of the status line (the server's own words in go's `reading URL: 500 …`). */
  statusMessage?: string
  body: string | Buffer
  contentType?: string
}

export interface HostileProxy {
  url: string
  /** Paths requested, in order. */
  requests: string[]
  close: () => Promise<void>
}

/**
 * Serves `root`; a request whose path ends with `suffix` gets `answer` instead, its first `times`
 * times (every time by default).
 */
export async function startHostileProxy(root: string, suffix: string, answer: HostileAnswer, times = Infinity): Promise<HostileProxy> {
  const requests: string[] = []
  let answered = 0
  const server = http.createServer((request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)
    requests.push(urlPath)
    if (urlPath.endsWith(suffix) && answered < times) {
      answered++
      response.writeHead(answer.status, answer.statusMessage ?? http.STATUS_CODES[answer.status] ?? '', { 'content-type': answer.contentType ?? 'text/plain; charset=utf-8' })
      return void response.end(answer.body)
    }
    const file = path.join(root, path.normalize(urlPath))
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' })
      return void response.end('not found\n')
    }
    response.writeHead(200)
    response.end(readFileSync(file))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
