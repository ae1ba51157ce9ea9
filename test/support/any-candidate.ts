// A candidate that answers every request as a proxy with every module would: a list, an .info
// naming the version asked for, a go.mod. It records what it was asked: a hostile request that
// reaches it has got past the proxy in front.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface AnyCandidate {
  url: string
  requests: string[]
  close: () => Promise<void>
}

export async function startAnyCandidate(): Promise<AnyCandidate> {
  const requests: string[] = []
  const server = http.createServer((request, response) => {
    const url = request.url ?? '/'
    requests.push(url)
    const info = /\/@v\/([^/]+)\.info$/.exec(url)
    if (info) return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Version: decodeURIComponent(info[1] as string), Time: '2024-01-01T00:00:00Z' }))
    if (url.endsWith('/@v/list')) return void response.writeHead(200).end('v1.0.0\n')
    if (url.endsWith('.mod')) return void response.writeHead(200).end('module example.com/any\n')
    response.writeHead(404).end('not found\n')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise(resolve => server.close(() => resolve()))
  }
}
