// Cache entries made by hand and put into a real cache service, as a workflow with write access
// to the repository's cache can: archives written the way @actions/cache writes them (GNU tar,
// pax format, zstd, `-P`, member names relative to the directory tar runs from), uploaded with
// @actions/cache's own client. And a front for a cache service that breaks a download or an
// upload partway, or holds it.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'vitest'
import { reserveCache, saveCache } from '../../node_modules/@actions/cache/lib/internal/cacheHttpClient.js'
import { getCompressionMethod } from '../../node_modules/@actions/cache/lib/internal/cacheUtils.js'
import { moduleStash } from '../../src/cache/layout.ts'
import { saveEntry } from '../../src/cache/service.ts'
import { cacheEnv, type CacheService } from './cache-service.ts'

/**
 * An archive of `names` (paths relative to `base`, as tar's manifest lists them), made with the
 * command @actions/cache's createTar runs; `transforms` are GNU tar --transform expressions
 * that rename members (a device under another name, say).
 */
export function tarLikeActionsCache(base: string, names: string[], transforms: string[] = []): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'archive-'))
  writeFileSync(path.join(dir, 'manifest.txt'), names.join('\n'))
  const transform = transforms.flatMap(t => ['--transform', t])
  execFileSync('tar', ['--posix', '-cf', 'cache.tzst', '--exclude', 'cache.tzst', '-P', '-C', base, '--files-from', 'manifest.txt', ...transform, '--use-compress-program', 'zstdmt'], { cwd: dir })
  return path.join(dir, 'cache.tzst')
}

/** Puts `archive` into the service at `env` under `key`, as saveCache does for `paths` (which the entry's version hashes). */
export async function uploadArchive(env: Record<string, string>, key: string, paths: string[], archive: string): Promise<void> {
  const saved = { ...process.env }
  Object.assign(process.env, env)
  try {
    const size = Number(execFileSync('stat', ['-c', '%s', archive], { encoding: 'utf8' }).trim())
    const reserved = await reserveCache(key, paths, { compressionMethod: await getCompressionMethod(), cacheSize: size })
    const id = reserved.result?.cacheId
    if (!id) throw new Error(`the cache service did not reserve ${key}: ${reserved.statusCode}`)
    await saveCache(id, archive)
  } finally {
    process.env = saved
  }
}

/** `saveEntry` of the module cache's `paths` under `key`, as any workflow with write access to the cache could. */
export async function saveAs(service: CacheService, modcache: string, key: string, paths: string[]): Promise<void> {
  const saved = { ...process.env }
  Object.assign(process.env, service.env)
  try {
    const report = await saveEntry(moduleStash(modcache), key, paths, 30_000)
    expect(report.state, report.why).toBe('saved')
  } finally {
    process.env = saved
  }
}

export type FrontFault = 'none' | 'cut-download' | 'hold-download' | 'hold-upload'

export interface CacheFront {
  env: Record<string, string>
  /** Resolves when a download or upload the fault applies to has begun. */
  faulted: Promise<void>
  close: () => Promise<void>
}

/**
 * A cache service in front of `upstream` (a base URL ending in a slash): everything is passed
 * on, the entries' download URLs rewritten to come here. `cut-download` sends half an archive
 * under its full length and closes the connection; `hold-download` sends half and then nothing;
 * `hold-upload` never answers an upload.
 */
export async function startCacheFront(upstream: string, fault: FrontFault): Promise<CacheFront> {
  let faulted: () => void = () => undefined
  const begun = new Promise<void>(resolve => (faulted = resolve))
  const held: http.ServerResponse[] = []
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (c: Buffer) => chunks.push(c))
    request.on('end', async () => {
      if (fault === 'hold-upload' && request.method === 'PATCH') {
        faulted()
        held.push(response)
        return
      }
      const answer = await fetch(new URL((request.url ?? '/').slice(1), upstream), {
        method: request.method ?? 'GET',
        headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)) as [string, string][]),
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {})
      })
      let body = Buffer.from(await answer.arrayBuffer())
      const archive = request.method === 'GET' && /\/artifacts\/\d+$/.test(request.url ?? '')
      if (!archive && answer.headers.get('content-type')?.includes('json')) body = Buffer.from(body.toString().replaceAll(upstream, front))
      response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream', 'content-length': String(body.length) })
      if (!archive || fault === 'none' || fault === 'hold-upload') return response.end(body)
      faulted()
      response.write(body.subarray(0, body.length >> 1))
      if (fault === 'cut-download') response.destroy()
      else held.push(response)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const front = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  return {
    env: cacheEnv(front),
    faulted: begun,
    close: async () => {
      for (const response of held) response.destroy()
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
    }
  }
}
