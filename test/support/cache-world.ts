// The world the cache tests stand in: a universe of generated modules, proxies over it and
// cache services, every server closed after each test.
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll } from 'vitest'
import { servicePool } from './cache-service.ts'
import { proxyPool } from './proxy-server.ts'
import { makeUniverse, type Universe } from './universe.ts'

export interface CacheWorld {
  /** Made before the file's first test. */
  readonly universe: Universe
  proxies: ReturnType<typeof proxyPool>
  services: ReturnType<typeof servicePool>
}

/** Registers the file's hooks: a universe of `count` modules, made once; servers closed after each test. */
export function cacheWorld(count: number): CacheWorld {
  let universe: Universe | undefined
  const world: CacheWorld = {
    get universe() {
      if (!universe) throw new Error('the universe is made in beforeAll')
      return universe
    },
    proxies: proxyPool(() => world.universe.proxyDir),
    services: servicePool()
  }
  beforeAll(async () => {
    universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count })
  })
  afterEach(async () => {
    await Promise.all([world.proxies.closeAll(), world.services.closeAll()])
  })
  return world
}
