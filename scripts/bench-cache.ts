// `npm run bench:cache`: what the action should cache, decided by measurement. The same
// module cache is saved and restored through the real cache service in two layouts, side by
// side and alternating, three rounds each:
//   everything  the whole GOMODCACHE, as setup-go caches it (zips and their extracted trees);
//   downloads   only GOMODCACHE/cache/download (zips, .mod, .info), which `go mod download`
//               then verifies and extracts without network.
// It prints the medians of archive size, save time, restore time, and the time of the
// `GOPROXY=off go mod download` that follows the restore.
import * as cache from '@actions/cache'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { median } from '../src/timing.ts'
import { formatSize } from '../src/summary.ts'
import { startCacheService } from '../test/support/cache-service.ts'
import { go, offlineGoEnv } from '../test/support/go.ts'
import { ensureTools } from '../test/support/tools.ts'
import { makeUniverse } from '../test/support/universe.ts'

const ROUNDS = 3
const root = mkdtempSync(path.join(os.tmpdir(), 'bench-cache-'))
const universe = await makeUniverse(root, { count: 160, sourceBytes: 'spread' })
await ensureTools()
const service = await startCacheService()
Object.assign(process.env, service.env, { GITHUB_WORKSPACE: root, RUNNER_TEMP: path.join(root, 'runner-temp') })

// One reference module cache, filled by go itself from the universe.
const reference = path.join(root, 'reference')
await go(['mod', 'download'], universe.sampleDir, { ...offlineGoEnv(reference), GOPROXY: `file://${universe.proxyDir}` })
const du = (dir: string) => execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]
const files = (dir: string) => execFileSync('find', [dir, '-type', 'f'], { encoding: 'utf8' }).split('\n').length - 1
console.log(
  `${universe.modules.length} modules; module cache ${formatSize(Number(du(reference)))} in ${files(reference)} files, ` +
    `of which cache/download ${formatSize(Number(du(path.join(reference, 'cache', 'download'))))}`
)

/** @actions/core writes its ::debug:: lines to stdout; a table reads better without them. */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write
  process.stdout.write = (() => true) as typeof process.stdout.write
  try {
    return await work()
  } finally {
    process.stdout.write = write
  }
}

const layouts = {
  everything: (modcache: string) => modcache,
  downloads: (modcache: string) => path.join(modcache, 'cache', 'download')
}
type Layout = keyof typeof layouts
interface Sample {
  archiveBytes: number
  saveS: number
  restoreS: number
  downloadS: number
}
const samples: Record<Layout, Sample[]> = { everything: [], downloads: [] }

async function seconds(work: () => Promise<unknown>): Promise<number> {
  // Dirty pages of the step before would otherwise be written back during this one.
  execFileSync('sync')
  const started = performance.now()
  await work()
  return (performance.now() - started) / 1000
}

async function measure(layout: Layout, round: number): Promise<Sample> {
  // The same path every round: @actions/cache's version covers the paths.
  const modcache = path.join(root, `modcache-${layout}`)
  const cached = layouts[layout](modcache)
  const key = `bench-${layout}-${round}`
  rmSync(modcache, { recursive: true, force: true })
  cpSync(reference, modcache, { recursive: true })
  const saveS = await seconds(() => quietly(() => cache.saveCache([cached], key)))
  const entry = (await service.entries()).find(e => e.key === key)
  if (!entry) throw new Error(`${key} was not saved`)

  rmSync(modcache, { recursive: true, force: true })
  const restoreS = await seconds(async () => {
    if ((await quietly(() => cache.restoreCache([cached], key))) !== key) throw new Error(`${key} was not restored`)
  })
  const downloadS = await seconds(() => go(['mod', 'download'], universe.sampleDir, offlineGoEnv(modcache)))
  return { archiveBytes: entry.cacheSize, saveS, restoreS, downloadS }
}

for (let round = 1; round <= ROUNDS; round++) {
  const order: Layout[] = round % 2 ? ['everything', 'downloads'] : ['downloads', 'everything']
  for (const layout of order) samples[layout].push(await measure(layout, round))
}
await service.close()


console.log(`\nmedians of ${ROUNDS} alternating rounds, on loopback\n`)
console.log('| cached | archive | save | restore | then go mod download | restore + download |')
console.log('|---|---|---|---|---|---|')
for (const layout of Object.keys(layouts) as Layout[]) {
  const m = (pick: (s: Sample) => number) => median(samples[layout].map(pick)) as number
  const s = (pick: (s: Sample) => number) => `${m(pick).toFixed(2)}s`
  console.log(
    `| ${layout} | ${formatSize(m(x => x.archiveBytes))} | ${s(x => x.saveS)} | ${s(x => x.restoreS)} | ${s(x => x.downloadS)} | ${s(x => x.restoreS + x.downloadS)} |`
  )
}
rmSync(root, { recursive: true, force: true })
