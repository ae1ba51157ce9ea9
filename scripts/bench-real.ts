// `npm run bench:real` (opt-in: it leaves loopback, never part of npm test): a real public
// project, its go.mod and go.sum only, through the runner's own `go env GOPROXY`: plain
// `go mod download` and the action, each from a cold module cache, alternating, ROUNDS rounds.
// It prints medians of time, bytes, zips and peak memory. BENCH_PROJECT=module@version picks
// another project (the default has about 160 requirements and 570 go.sum lines); BENCH_ROUNDS
// and BENCH_CONCURRENCY the rounds and the action's concurrency input. BENCH_TOOLCHAIN=go1.X.Y
// adds that `toolchain` line to go.mod (a release newer than the installed go): both then switch
// to it under GOTOOLCHAIN=auto, plain go fetching it itself, the action providing it from a
// fresh tool cache each round (so that it fetches it every time, as on a new runner).
// BENCH_SILENT_FIRST=1 sets the action beside itself instead: the runner's chain alone, and a
// loopback candidate that never answers put first in front of it, with the checksum database as
// go has it by default (what it costs: issue 25's goal is at most +1 s).
import './scratch.ts'
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { median } from '../src/util/timing.ts'
import { goBinary } from '../test/support/go.ts'
import { startProxy } from '../test/support/proxy-server.ts'
import { bundledAction, type Contender, mib, plainGo, type Sample, secs, settlingNote, sideBySide } from './measure.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const PROJECT = process.env.BENCH_PROJECT ?? 'github.com/cli/cli/v2@v2.63.0'
const TOOLCHAIN = process.env.BENCH_TOOLCHAIN

const root = mkdtempSync(path.join(os.tmpdir(), 'bench-real-'))
const workspace = path.join(root, 'workspace')
const projectDir = path.join(workspace, 'project')
mkdirSync(projectDir, { recursive: true })
{
  // The project's own go.mod and go.sum, fetched as a module through the Go module proxy. Its
  // module cache is deleted with the rest at the end: deleted here, it slowed the runs (measure.ts, settledDisk).
  const fetchCache = path.join(root, 'fetch-cache')
  const info = JSON.parse(
    execFileSync(goBinary(), ['mod', 'download', '-json', PROJECT], { cwd: root, encoding: 'utf8', env: { ...process.env, GOMODCACHE: fetchCache, GOFLAGS: '-modcacherw' } })
  ) as { Dir: string }
  for (const file of ['go.mod', 'go.sum']) copyFileSync(path.join(info.Dir, file), path.join(projectDir, file))
  if (TOOLCHAIN) {
    const goMod = path.join(projectDir, 'go.mod')
    const text = readFileSync(goMod, 'utf8')
    writeFileSync(goMod, /^toolchain .*$/m.test(text) ? text.replace(/^toolchain .*$/m, `toolchain ${TOOLCHAIN}`) : `${text}\ntoolchain ${TOOLCHAIN}\n`)
  }
}

function tree(dir: string): { bytes: number; zips: number } {
  let bytes = 0
  let zips = 0
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (/\.(zip|mod|info)$/.test(entry.name)) {
        bytes += statSync(full).size
        if (entry.name.endsWith('.zip')) zips++
      }
    }
  }
  try {
    walk(dir)
  } catch {
    // Nothing downloaded.
  }
  return { bytes, zips }
}

const zipsOf: Record<string, number[]> = { plain: [], action: [] }
// Each run's directories are new, and kept until the end (measure.ts, setAside).
let modcache = ''
const fresh = () => {
  modcache = mkdtempSync(path.join(root, 'modcache-'))
  return { GOMODCACHE: modcache, GOFLAGS: '-modcacherw', ...(TOOLCHAIN ? { GOTOOLCHAIN: 'auto' } : {}) }
}
const freshRunner = () => ({ ...fresh(), RUNNER_TOOL_CACHE: mkdtempSync(path.join(root, 'toolcache-')) })
const downloaded = (who: string) => () => {
  const found = tree(path.join(modcache, 'cache', 'download'))
  zipsOf[who]?.push(found.zips)
  return found.bytes
}

const plain: Contender = plainGo(projectDir, fresh, downloaded('plain'))

/** The action's own upstream bytes: the Data of its Fetch table, under its <details> line (what go fetched past the local proxy is in go's count). */
const fetchedBytes = (summary: string) => {
  const row = /<summary>Fetch:[^\n]*\n\n.*\n.*\n\| [^|]+\| [^|]+\| ([\d.]+) MiB \|/.exec(summary)
  downloaded('action')()
  return row ? Number(row[1]) * (1 << 20) : NaN
}
// BENCH_CONCURRENCY sets the action's concurrency input, to compare ceilings on the same link.
const extra: Record<string, string> = process.env.BENCH_CONCURRENCY ? { concurrency: process.env.BENCH_CONCURRENCY } : {}
const action: Contender = () => bundledAction(workspace, { 'working-directory': 'project', cache: 'false', ...extra }, freshRunner, fetchedBytes)()

if (process.env.BENCH_SILENT_FIRST) {
  const chain = execFileSync(goBinary(), ['env', 'GOPROXY'], { encoding: 'utf8' }).trim()
  const silent = await startProxy(root, { kind: 'hang' })
  const withChain = (proxies: string): Contender => () => bundledAction(workspace, { 'working-directory': 'project', cache: 'false', proxies, ...extra }, freshRunner, fetchedBytes)()
  const runs: Sample[][] = [[], []]
  const [alone, behind] = (await sideBySide([withChain(chain), withChain(`${silent.url},${chain}`)], ROUNDS, runs)) as [Sample, Sample]
  await silent.close()
  const cost = behind.seconds - alone.seconds
  console.log(
    `\n${PROJECT}, the action with \`go env GOPROXY\` (GOSUMDB as go has it) alone: ${secs(alone.seconds)}; with a never-answering loopback candidate first: ${secs(behind.seconds)}; ${cost >= 0 ? '+' : ''}${cost.toFixed(2)} s (goal: at most +1 s; medians of ${ROUNDS} alternating rounds). Every round (alone / silent first): ${runs[0]?.map((r, i) => `${secs(r.seconds)} / ${secs(runs[1]?.[i]?.seconds ?? NaN)}`).join(', ')}. ${settlingNote()}\n`
  )
  rmSync(root, { recursive: true, force: true })
  process.exit(0)
}

const runs: Sample[][] = [[], []]
const [go, ours] = (await sideBySide([plain, action], ROUNDS, runs)) as [Sample, Sample]
const table = [
  `${PROJECT} (its go.mod and go.sum${TOOLCHAIN ? `, and \`toolchain ${TOOLCHAIN}\`: both switch to it, fetching it` : ''})${process.env.BENCH_CONCURRENCY ? `, concurrency ${process.env.BENCH_CONCURRENCY}` : ''}, through \`go env GOPROXY\` on this runner, cold module cache, medians of ${ROUNDS} alternating rounds, ${os.cpus().length} cores.`,
  '',
  '| | time | CPU (user + system) | bytes | zips | peak memory |',
  '|---|---|---|---|---|---|',
  `| plain go mod download | ${secs(go.seconds)} | ${secs(go.cpuSeconds)} | ${mib(go.bytes)} (what it wrote) | ${median(zipsOf.plain ?? [])} | ${go.peakMiB.toFixed(0)} MiB (go) |`,
  `| the action | ${secs(ours.seconds)} | ${secs(ours.cpuSeconds)} (its go included) | ${mib(ours.bytes)} (what it fetched) | ${median(zipsOf.action ?? [])} | ${ours.peakMiB.toFixed(0)} MiB (node) |`,
  '',
  `The action took ${(ours.seconds / go.seconds).toFixed(2)}× plain go's time. Every round (plain go / the action): ${runs[0]?.map((r, i) => `${secs(r.seconds)} / ${secs(runs[1]?.[i]?.seconds ?? NaN)}`).join(', ')}. ${settlingNote()}`
].join('\n')
console.log(`\n${table}\n`)
rmSync(root, { recursive: true, force: true })
