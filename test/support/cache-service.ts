// A real Actions cache service on loopback (act's implementation, built by tools.ts), with
// the environment that points @actions/cache at it.
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { tools } from './tools.ts'

export interface CacheEntry {
  id: number
  key: string
  version: string
  cacheSize: number
}

export interface CacheService {
  /** Environment for the step: @actions/cache's v1 protocol, as GHES and act runners provide it. */
  env: Record<string, string>
  /** The committed entries, as the server's own database holds them. */
  entries: () => Promise<CacheEntry[]>
  /** The paths inside an entry's archive, as tar lists them. */
  archiveMembers: (entry: CacheEntry) => Promise<string[]>
  /** Where the service keeps an entry's archive. */
  archiveFile: (entry: CacheEntry) => string
  close: () => Promise<void>
}

/** The step environment that points @actions/cache at `url` (which ends with a slash). */
export function cacheEnv(url: string): Record<string, string> {
  return { ACTIONS_CACHE_URL: url, ACTIONS_RUNTIME_TOKEN: 'test-token', ACTIONS_CACHE_SERVICE_V2: '' }
}

/** A refusal by policy the service answers every lookup or every reservation with, as the real one does for such a token. */
export type Refusal = 'read-denied' | 'write-denied'

export async function startCacheService(refusal?: Refusal): Promise<CacheService> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cache-service-'))
  // The server lives while its stdin is open: it cannot outlive the test process.
  const child = spawn(tools.cacheServer, ['serve', dir, ...(refusal ? [refusal] : [])], { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise<void>(resolve => child.on('exit', () => resolve()))
  const [url] = await Promise.race([
    createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then(line => [line.value as string | undefined]),
    exited.then(() => [undefined])
  ])
  if (!url) throw new Error('cache-server did not start')
  // act's storage layout: cache/<id mod 255, two hex digits>/<id>.
  const archiveOf = (entry: CacheEntry) => path.join(dir, 'cache', (entry.id % 0xff).toString(16).padStart(2, '0'), String(entry.id))
  return {
    env: cacheEnv(url),
    entries: async () => {
      const { stdout } = await promisify(execFile)(tools.cacheServer, ['list', dir])
      return stdout
        .split('\n')
        .filter(Boolean)
        .map(line => JSON.parse(line) as CacheEntry)
    },
    archiveMembers: async entry => {
      const { stdout } = await promisify(execFile)('tar', ['-tf', archiveOf(entry)], { maxBuffer: 64 << 20 })
      return stdout.split('\n').filter(Boolean)
    },
    archiveFile: entry => archiveOf(entry),
    close: async () => {
      child.stdin.end()
      await exited
    }
  }
}

/** Cache services a test file starts, all closed together after each test. */
export function servicePool(): { start: (refusal?: Refusal) => Promise<CacheService>; closeAll: () => Promise<void> } {
  const open: CacheService[] = []
  return {
    start: async refusal => {
      const service = await startCacheService(refusal)
      open.push(service)
      return service
    },
    closeAll: async () => {
      await Promise.all(open.splice(0).map(s => s.close()))
    }
  }
}
