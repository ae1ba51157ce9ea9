// One DNS lookup per host for the action's many connections. go reaches a proxy over one HTTP/2
// connection, so it resolves the host once; the action opens up to `concurrency` HTTP/1.1
// connections at once, and each would resolve it again. A burst of lookups is what loses one:
// glibc sends A and AAAA queries together from one socket, a NAT's connection tracking
// (Docker, Kubernetes, cloud VMs) drops one of a racing pair, and the resolver waits its
// 5-second timeout before asking again (measured here: 16 lookups at once stalled 5 s in three
// rounds of five). Connections wait for a lookup under way instead of starting their own, and
// an answer is reused for a while; a failed lookup is not kept.
import dns from 'node:dns'
import type { LookupFunction } from 'node:net'

/** How long an answer is reused: long enough for a burst of connections, short enough to follow a changed record. */
export const LOOKUP_REUSE_MS = 30_000

type Resolve = (hostname: string, options: dns.LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void

interface Kept {
  addresses: Promise<dns.LookupAddress[]>
  until: number
}

/**
 * A `lookup` for net.connect (and the agents that call it) that shares answers by host, address
 * family and hints. `resolve` is dns.lookup unless given; `now` is the clock.
 */
export function sharedLookup(resolve: Resolve = dns.lookup, now: () => number = () => performance.now()): LookupFunction {
  const kept = new Map<string, Kept>()
  const addressesOf = (hostname: string, family: number, hints: number): Promise<dns.LookupAddress[]> => {
    const key = `${hostname}|${family}|${hints}`
    const hit = kept.get(key)
    if (hit && hit.until > now()) return hit.addresses
    const addresses = new Promise<dns.LookupAddress[]>((ok, fail) =>
      resolve(hostname, { all: true, family, hints }, (err, found) => (err ? fail(err) : ok(found)))
    )
    const entry = { addresses, until: Infinity }
    kept.set(key, entry)
    addresses.then(
      () => {
        entry.until = now() + LOOKUP_REUSE_MS
      },
      () => {
        if (kept.get(key) === entry) kept.delete(key)
      }
    )
    return addresses
  }
  return (hostname, options, callback) => {
    const family = typeof options.family === 'number' ? options.family : options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : 0
    addressesOf(hostname, family, options.hints ?? 0).then(
      addresses => {
        if (options.all) return (callback as unknown as (err: null, addresses: dns.LookupAddress[]) => void)(null, addresses)
        const first = addresses[0]
        if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0)
        callback(null, first.address, first.family)
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0)
    )
  }
}
