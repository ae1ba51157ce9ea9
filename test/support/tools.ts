// Test tools built from source with go: act (a real workflow runner), cache-server (act's
// implementation of the Actions cache service), proxyfor (go's own proxy choice, to compare
// the action's with), sumdb (a checksum database: golang.org/x/mod/sumdb's server), modpath
// (go's rules for module paths, versions and URLs, to check the action's) and forwardproxy (a
// forward proxy for machines without squid). All are pinned by test/cache-server/go.mod and kept in .tools/bin
// (git-ignored), rebuilt only when their sources change.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { goBinary } from './go.ts'

const root = path.join(import.meta.dirname, '../..')
const source = path.join(root, 'test/cache-server')
const bin = path.join(root, '.tools/bin')
const stampFile = path.join(root, '.tools/stamp')

export const tools = {
  act: path.join(bin, 'act'),
  cacheServer: path.join(bin, 'cache-server'),
  proxyFor: path.join(bin, 'proxyfor'),
  sumdb: path.join(bin, 'sumdb'),
  forwardProxy: path.join(bin, 'forwardproxy'),
  modpath: path.join(bin, 'modpath')
}

const SOURCES = ['go.mod', 'go.sum', 'main.go', 'proxyfor/main.go', 'sumdb/main.go', 'forwardproxy/main.go', 'modpath/main.go']

function sourceStamp(): string {
  const hash = createHash('sha256')
  for (const file of SOURCES) hash.update(readFileSync(path.join(source, file)))
  return hash.digest('hex')
}

export async function ensureTools(): Promise<void> {
  const stamp = sourceStamp()
  const built = Object.values(tools).every(existsSync) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp
  if (built) return
  mkdirSync(bin, { recursive: true })
  // `tool` is go.mod's tool meta-pattern: act, pinned beside the cache server's own dependencies.
  await promisify(execFile)(goBinary(), ['build', '-o', bin + path.sep, '.', './proxyfor', './sumdb', './forwardproxy', './modpath', 'tool'], {
    cwd: source,
    env: { ...process.env, GOFLAGS: '-mod=readonly', GOTOOLCHAIN: 'local' },
    maxBuffer: 16 * 1024 * 1024
  })
  writeFileSync(stampFile, stamp)
}
