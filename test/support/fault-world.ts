// What the fault-matrix files share: a universe of five modules, a cache service, and the
// loopback candidates a test starts (closed after each). The matrix is split over several files
// so that vitest runs them side by side: most of their time is spent waiting out stalls.
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { type CacheService, startCacheService } from './cache-service.ts'
import { type Fault, type ProxyOptions, type ProxyServer, proxyPool } from './proxy-server.ts'
import type { SlowMode } from './faults.ts'
import { type Certificate, loopbackCertificate } from './tls.ts'
import { makeUniverse, type Universe } from './universe.ts'

export interface FaultWorld {
  universe: Universe
  service: CacheService
}

/** Registers the file's hooks; the world's fields are set once beforeAll has run. */
export function faultWorld(): { world: FaultWorld; proxy: (fault: Fault, options?: ProxyOptions) => Promise<ProxyServer> } {
  const world = {} as FaultWorld
  const proxies = proxyPool(() => world.universe.proxyDir)
  beforeAll(async () => {
    world.universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 5 })
    world.service = await startCacheService()
  })
  afterAll(() => world.service.close())
  afterEach(proxies.closeAll)
  return { world, proxy: (fault, options) => proxies.start(fault, options) }
}

/** The attempt's timeout is far away: what moves past a slow body must be the stall rules, not it. */
export const SLOW_LIMITS = { 'probe-timeout': '1s', 'stall-timeout': '2s', timeout: '60s', retries: '1' }
/** Well past stall-timeout and what go needs besides, and half the attempt's timeout: a run that waited for the timeout cannot make it. */
export const SLOW_BOUND_MS = 30_000

/** The slow-body family's bad candidate (https with a trusted certificate, for a TLS mode) and what the step's environment needs for it. */
export function slowCandidates(proxy: (fault: Fault, options?: ProxyOptions) => Promise<ProxyServer>): (mode: SlowMode, fault: Fault) => Promise<{ server: ProxyServer; env: Record<string, string> }> {
  let cert: Certificate | undefined
  return async (mode, fault) => {
    if (mode.tls) cert ??= loopbackCertificate()
    const env: Record<string, string> = mode.tls && cert ? { SSL_CERT_FILE: cert.certFile } : {}
    return { server: await proxy(fault, mode.tls ? { tls: cert } : undefined), env }
  }
}

export async function timed<T extends object>(work: () => Promise<T>): Promise<T & { ms: number }> {
  const started = Date.now()
  const result = await work()
  return { ...result, ms: Date.now() - started }
}
