// A candidate's credentials stay with its host: a redirect to another host (another port is
// another host) is followed without them, as go's client does; one on the same host keeps them.
// Loopback servers, the action's own client.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { networkClient } from './support/net.ts'

const servers: http.Server[] = []
afterAll(() => Promise.all(servers.map(s => new Promise(resolve => s.close(resolve)))))

async function server(handle: (request: http.IncomingMessage, response: http.ServerResponse) => void): Promise<string> {
  const s = http.createServer(handle)
  servers.push(s)
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  return `127.0.0.1:${(s.address() as AddressInfo).port}`
}

const options = { signal: new AbortController().signal, maxBytes: 1 << 20, floor: { bytesPerSec: 1, windowMs: 5000 } }

describe('a redirect and the credentials of the URL it came from', () => {
  it('to another host: followed without them; on the same host: kept', async () => {
    const seen: Record<string, string | undefined> = {}
    const elsewhere = await server((request, response) => {
      seen[`elsewhere ${request.url}`] = request.headers.authorization
      response.end('ok')
    })
    const candidate = await server((request, response) => {
      seen[`candidate ${request.url}`] = request.headers.authorization
      if (request.url === '/here') return void response.end('ok')
      response.writeHead(302, { location: request.url === '/away' ? `http://${elsewhere}/landed` : '/here' }).end()
    })
    const client = await networkClient()
    try {
      expect((await client.get(`http://user:s3cret@${candidate}/away`, options)).body.toString()).toBe('ok')
      expect(seen['candidate /away']).toMatch(/^Basic /)
      expect(seen['elsewhere /landed']).toBeUndefined()
      await client.get(`http://user:s3cret@${candidate}/stay`, options)
      expect(seen['candidate /here']).toBe(seen['candidate /away'])
    } finally {
      client.close()
    }
  })
})
