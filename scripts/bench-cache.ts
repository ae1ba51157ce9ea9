// `npm run bench:cache`: what the action should cache, decided by measurement. The same
// module cache is saved and restored through the real cache service, by the action's own save
// and restore, in its two layouts, side by side and alternating, three rounds each:
//   everything  the extracted trees too, as setup-go caches them;
//   downloads   only the download cache (zips, .mod, .info), which `go mod download` then
//               extracts without network.
// It prints the medians of archive size, save time, restore time, the check of what was
// restored against go.sum (and its share of the restore), and the time of the
// `GOPROXY=off go mod download` that follows. Then the build cache: the sample's build from an
// empty GOCACHE against a restore of what the post step saved and the same build.
import './scratch.ts'
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildCacheKeys, restoreBuildCache, saveBuildCache } from '../src/cache/build.ts'
import { moduleStash } from '../src/cache/layout.ts'
import { savedPaths } from '../src/module/vouched.ts'
import { restoreEntry, saveEntry } from '../src/cache/service.ts'
import { verifyModuleCache } from '../src/cache/verify.ts'
import { parseGoSum } from '../src/module/gosum.ts'
import type { CacheContents } from '../src/engine/inputs.ts'
import { median } from '../src/util/timing.ts'
import { formatSize } from '../src/util/size.ts'
import { startCacheService } from '../test/support/cache-service.ts'
import { go, offlineGoEnv } from '../test/support/go.ts'
import { ensureTools } from '../test/support/tools.ts'
import { makeUniverse } from '../test/support/universe.ts'
import { setAside } from './measure.ts'

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

const sumLines = parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8'))
const layouts: CacheContents[] = ['everything', 'downloads']
interface Sample {
  archiveBytes: number
  saveS: number
  restoreS: number
  verifyS: number
  downloadS: number
}
const samples: Record<CacheContents, Sample[]> = { everything: [], downloads: [] }
const LIMIT_MS = 10 * 60 * 1000

async function seconds(work: () => Promise<unknown>): Promise<number> {
  // Dirty pages of the step before would otherwise be written back during this one.
  execFileSync('sync')
  const started = performance.now()
  await work()
  return (performance.now() - started) / 1000
}

async function measure(layout: CacheContents, round: number): Promise<Sample> {
  // The same path every round: the entry's version covers the staging path, which is under it.
  const modcache = path.join(root, `modcache-${layout}`)
  const key = `bench-${layout}-${round}`
  setAside(modcache, root)
  cpSync(reference, modcache, { recursive: true })
  const saveS = await seconds(async () => {
    const saved = await quietly(() => saveEntry(moduleStash(modcache), key, savedPaths(sumLines, layout), LIMIT_MS))
    if (saved.state !== 'saved') throw new Error(`${key} was not saved: ${saved.why}`)
  })
  const entry = (await service.entries()).find(e => e.key === key)
  if (!entry) throw new Error(`${key} is not in the cache service`)

  setAside(modcache, root)
  const restoreS = await seconds(async () => {
    const { report: restored } = await quietly(() => restoreEntry(moduleStash(modcache), { key, restoreKeys: [] }, LIMIT_MS, async dir => savedPaths(sumLines, layout).filter(rel => existsSync(path.join(dir, rel)))))
    if (restored.state !== 'exact') throw new Error(`${key} was not restored: ${restored.state} ${restored.warning ?? ''}`)
  })
  const verifyS = await seconds(async () => {
    const checked = await verifyModuleCache(modcache, sumLines)
    if (checked.discarded.length > 0 || checked.zips !== universe.modules.length) throw new Error(`the check found ${checked.zips} zips, discarded ${checked.discarded.length}`)
  })
  const downloadS = await seconds(() => go(['mod', 'download'], universe.sampleDir, offlineGoEnv(modcache)))
  return { archiveBytes: entry.cacheSize, saveS, restoreS, verifyS, downloadS }
}

for (let round = 1; round <= ROUNDS; round++) {
  const order = round % 2 ? layouts : [...layouts].reverse()
  for (const layout of order) samples[layout].push(await measure(layout, round))
}

// The build cache (build-cache: true): the sample's build from an empty GOCACHE against the
// action's restore of the entry its post step saved, then the same build; alternating.
const gocache = path.join(root, 'gocache')
const buildEnv = { ...offlineGoEnv(reference), GOCACHE: gocache }
const buildKeys = buildCacheKeys({ os: 'linux', arch: 'bench', goVersion: 'go', files: [] })
const buildSample = () => go(['build', '-o', os.devNull, './...'], universe.sampleDir, buildEnv)
setAside(gocache, root)
const sinceMs = Date.now()
await buildSample()
const buildSaved = await quietly(() => saveBuildCache({ gocache, prefix: buildKeys.prefix, sinceMs, limitMs: LIMIT_MS }))
if (buildSaved.state !== 'saved') throw new Error(`the build cache was not saved: ${buildSaved.why}`)
const builds: { coldS: number; restoreS: number; warmS: number }[] = []
for (let round = 1; round <= ROUNDS; round++) {
  const cold = async () => {
    setAside(gocache, root)
    return seconds(buildSample)
  }
  const warm = async () => {
    setAside(gocache, root)
    const restoreS = await seconds(async () => {
      const restored = await quietly(() => restoreBuildCache(gocache, buildKeys, LIMIT_MS))
      if (!restored.hit) throw new Error(`the build cache was not restored: ${restored.state} ${restored.warning ?? ''}`)
    })
    return { restoreS, warmS: await seconds(buildSample) }
  }
  if (round % 2) builds.push({ coldS: await cold(), ...(await warm()) })
  else builds.push({ ...(await warm()), coldS: await cold() })
}
await service.close()


console.log(`\nmedians of ${ROUNDS} alternating rounds, on loopback\n`)
console.log('| cached | archive | save | restore | check against go.sum | check ÷ restore | then go mod download | restore + check + download |')
console.log('|---|---|---|---|---|---|---|---|')
for (const layout of layouts) {
  const m = (pick: (s: Sample) => number) => median(samples[layout].map(pick)) as number
  const s = (pick: (s: Sample) => number) => `${m(pick).toFixed(2)}s`
  console.log(
    `| ${layout} | ${formatSize(m(x => x.archiveBytes))} | ${s(x => x.saveS)} | ${s(x => x.restoreS)} | ${s(x => x.verifyS)} | ${Math.round((m(x => x.verifyS) / m(x => x.restoreS)) * 100)} % | ${s(x => x.downloadS)} | ${s(x => x.restoreS + x.verifyS + x.downloadS)} |`
  )
}
const b = (pick: (x: (typeof builds)[number]) => number) => `${(median(builds.map(pick)) as number).toFixed(2)}s`
console.log(`\nbuild cache: the sample's go build (${universe.modules.length} packages and what they import from std)\n`)
console.log('| build cache | archive | entries | build from an empty GOCACHE | restore | then the build | restore + build |')
console.log('|---|---|---|---|---|---|---|')
console.log(`| build-cache: true | ${formatSize(buildSaved.bytes)} (as saved) | ${buildSaved.entries} | ${b(x => x.coldS)} | ${b(x => x.restoreS)} | ${b(x => x.warmS)} | ${b(x => x.restoreS + x.warmS)} |`)
rmSync(root, { recursive: true, force: true })
