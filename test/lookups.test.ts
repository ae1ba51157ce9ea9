// DNS lookups shared by the action's connections: a burst of connections to one host makes one
// lookup (a burst of lookups is what loses one to a NAT and waits out the resolver's 5 s).
import dns from 'node:dns'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LOOKUP_REUSE_MS, sharedLookup } from '../src/net/lookups.ts'
import { networkClient } from './support/net.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

type Answer = (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void

/** A resolver that answers only when told, counting what it was asked. */
function heldResolver() {
  const asked: { hostname: string; family: number | undefined; answer: Answer }[] = []
  return {
    asked,
    resolve: (hostname: string, options: dns.LookupAllOptions, answer: Answer) => {
      asked.push({ hostname, family: typeof options.family === 'number' ? options.family : undefined, answer })
    }
  }
}

const lookupAll = (lookup: ReturnType<typeof sharedLookup>, hostname: string, options: object = {}) =>
  new Promise<dns.LookupAddress[] | NodeJS.ErrnoException>(resolve =>
    lookup(hostname, { all: true, ...options }, ((err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => resolve(err ?? addresses)) as never)
  )

describe('shared DNS lookups', () => {
  it('a burst for one host asks the resolver once; the answer is reused for a while, then asked again', async () => {
    const resolver = heldResolver()
    let clock = 0
    const lookup = sharedLookup(resolver.resolve, () => clock)
    const burst = Promise.all(Array.from({ length: 16 }, () => lookupAll(lookup, 'proxy.example.com')))
    expect(resolver.asked).toHaveLength(1)
    const addresses = [
      { address: '192.0.2.10', family: 4 },
      { address: '2001:db8::10', family: 6 }
    ]
    resolver.asked[0]!.answer(null, addresses)
    expect(await burst).toEqual(Array(16).fill(addresses))
    // The one-address form net asks for without `all`.
    const single = await new Promise(resolve => lookup('proxy.example.com', {}, (err, address, family) => resolve({ err, address, family })))
    expect(single).toEqual({ err: null, address: '192.0.2.10', family: 4 })
    expect(resolver.asked).toHaveLength(1)
    // Another host, or another address family, is its own lookup.
    void lookupAll(lookup, 'mirror.example.com')
    void lookupAll(lookup, 'proxy.example.com', { family: 4 })
    expect(resolver.asked.map(a => [a.hostname, a.family])).toEqual([
      ['proxy.example.com', 0],
      ['mirror.example.com', 0],
      ['proxy.example.com', 4]
    ])
    clock += LOOKUP_REUSE_MS + 1
    void lookupAll(lookup, 'proxy.example.com')
    expect(resolver.asked).toHaveLength(4)
  })

  it('a failed lookup is told to every waiting connection and not kept', async () => {
    const resolver = heldResolver()
    const lookup = sharedLookup(resolver.resolve, () => 0)
    const waiting = Promise.all([lookupAll(lookup, 'gone.example.com'), lookupAll(lookup, 'gone.example.com')])
    resolver.asked[0]!.answer(Object.assign(new Error('getaddrinfo EAI_AGAIN gone.example.com'), { code: 'EAI_AGAIN' }), [])
    for (const answer of await waiting) expect(answer).toMatchObject({ code: 'EAI_AGAIN' })
    const again = lookupAll(lookup, 'gone.example.com')
    expect(resolver.asked).toHaveLength(2)
    resolver.asked[1]!.answer(null, [{ address: '192.0.2.20', family: 4 }])
    expect(await again).toEqual([{ address: '192.0.2.20', family: 4 }])
  })

  it("the action's client opens many connections to one name with one lookup", async () => {
    const server = http.createServer((_request, response) => setTimeout(() => response.end('ok'), 20))
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const lookups = vi.spyOn(dns, 'lookup')
    const client = await networkClient()
    try {
      const url = `http://localhost:${(server.address() as AddressInfo).port}/`
      const answers = await Promise.all(Array.from({ length: 10 }, () => client.get(url, { signal: AbortSignal.timeout(5_000), maxBytes: 100, floor: { bytesPerSec: 1, windowMs: 5_000 } })))
      expect(answers.map(a => a.body.toString())).toEqual(Array(10).fill('ok'))
      expect(lookups.mock.calls.filter(([hostname]) => hostname === 'localhost')).toHaveLength(1)
    } finally {
      client.close()
      await new Promise(resolve => server.close(resolve))
    }
  })
})
