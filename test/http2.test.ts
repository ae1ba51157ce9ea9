// A proxy that resets HTTP/2 streams (golang/go#51323): go's requests fail at random with
// "stream error … INTERNAL_ERROR". The action retries with go's HTTP/2 client off, and tells
// later steps to keep it off. A real h2 server on loopback, TLS trusted through SSL_CERT_FILE.
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runScenario } from './support/scenario.ts'
import { loopbackCertificate } from './support/tls.ts'
import { expectComplete } from './support/scenario.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
let server: http2.Http2SecureServer
let url: string
let certFile: string
const seen = { http2: 0, http1: 0 }

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 4 })
  const cert = loopbackCertificate()
  certFile = cert.certFile
  // Every HTTP/2 stream is reset; HTTP/1.1 (allowHTTP1) is served from the universe.
  server = http2.createSecureServer({ key: cert.key, cert: cert.cert, allowHTTP1: true }, (request, response) => {
    if (request.httpVersion === '2.0') {
      seen.http2++
      return request.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR)
    }
    seen.http1++
    const file = path.join(universe.proxyDir, path.normalize(decodeURIComponent(new URL(request.url, 'https://x').pathname)))
    if (!file.startsWith(universe.proxyDir) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' })
      return response.end('not found\n')
    }
    response.writeHead(200)
    response.end(readFileSync(file))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => new Promise<void>(resolve => server.close(() => resolve())))

describe('a proxy that resets HTTP/2 streams', () => {
  it('go’s attempt fails with a stream error; the next speaks HTTP/1.1 and succeeds; later steps get GODEBUG=http2client=0', async () => {
    // go talks to the proxy itself (no local proxy in front, whose requests are HTTP/1.1 anyway).
    const run = await runScenario(universe, { proxies: url, prefetch: 'false' }, { env: { SSL_CERT_FILE: certFile, GODEBUG: 'netdns=go' } })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    expect(seen.http2).toBeGreaterThan(0)
    expect(run.summary).toMatch(/\| 1 \| [^|]+ \| ❌ http2 stream error \|/)
    expect(run.summary).toMatch(/\| 2 \| [^|]+ \| ✅ ok \|/)
    expect(run.exported.GODEBUG).toBe('netdns=go,http2client=0')
  })
})
