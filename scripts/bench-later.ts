// `npm run bench:later`: what the proxy for later steps is worth and costs. A later step's
// `go mod download` of modules the action's step did not fetch, with the first proxy of the
// chain gone silent: through the action's proxy (GOPROXY=<it>|<chain>), and with the chain
// alone (what go does without it: it waits on the silent proxy, here until a limit kills it).
// Then the proxy's own footprint: resident memory once started, after serving, and the CPU it
// uses while idle (of dist/job-proxy.js, as a runner runs it). Loopback only.
import './scratch.ts'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { launchJobProxy } from '../src/later/start.ts'
import { stopJobProxy } from '../src/later/stop.ts'
import { parseGoSum } from '../src/module/gosum.ts'
import { median } from '../src/util/timing.ts'
import { goBinary, offlineGoEnv } from '../test/support/go.ts'
import { healthy, startProxy } from '../test/support/proxy-server.ts'
import { makeUniverse } from '../test/support/universe.ts'

const ROUNDS = 3
const LIMIT_MS = 20_000
const IDLE_SAMPLE_MS = 10_000
const root = mkdtempSync(path.join(os.tmpdir(), 'bench-later-'))
const universe = await makeUniverse(root, { count: 40, sourceBytes: 'spread' })
const sumLines = parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8'))

/** Resident memory (MiB) and CPU seconds so far of a process, from /proc. */
function footprint(pid: number): { rssMiB: number; cpuS: number } {
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return { rssMiB: rss, cpuS: (Number(fields[11]) + Number(fields[12])) / 100 }
}

// Each later step's module cache is new, and kept until the end (measure.ts, setAside).
async function laterStep(goproxy: string): Promise<number | undefined> {
  const modcache = mkdtempSync(path.join(root, 'modcache-'))
  const began = performance.now()
  try {
    await promisify(execFile)(goBinary(), ['mod', 'download'], { cwd: universe.sampleDir, timeout: LIMIT_MS, env: { ...process.env, ...offlineGoEnv(modcache), GOPROXY: goproxy } })
    return performance.now() - began
  } catch {
    return undefined
  }
}

const withIt: number[] = []
const withoutIt: (number | undefined)[] = []
const memory: { startedMiB: number; servedMiB: number }[] = []
let idleCpuS = 0
for (let round = 1; round <= ROUNDS; round++) {
  const first = await startProxy(universe.proxyDir, healthy)
  const second = await startProxy(universe.proxyDir, healthy)
  // What a runner runs: the bundle, not the sources.
  const proxy = await launchJobProxy(path.join(import.meta.dirname, '..', 'dist', 'job-proxy.js')).start({
    candidates: [first, second].map(p => ({ spec: p.url, latencyMs: 1 })),
    sumLines,
    goauth: '',
    idleMs: 60 * 60 * 1000,
    stallTimeoutMs: 60_000,
    timeoutMs: 600_000
  })
  await sleep(500)
  const startedMiB = footprint(proxy.pid).rssMiB
  // The step is over; the first proxy goes silent.
  first.setFault({ kind: 'hang' })
  const chain = `${first.url}|${second.url}`
  // Alternating which goes first; the one without the action's proxy only once (it always runs into the limit).
  if (round === 1) withoutIt.push(await laterStep(chain))
  withIt.push((await laterStep(`${proxy.url}|${chain}`)) ?? Number.NaN)
  const servedMiB = footprint(proxy.pid).rssMiB
  memory.push({ startedMiB, servedMiB })
  if (round === ROUNDS) {
    const before = footprint(proxy.pid).cpuS
    await sleep(IDLE_SAMPLE_MS)
    idleCpuS = footprint(proxy.pid).cpuS - before
  }
  await stopJobProxy(proxy)
  await Promise.all([first.close(), second.close()])
}
rmSync(root, { recursive: true, force: true })

const s = (ms: number | undefined) => (ms === undefined ? `did not finish in ${LIMIT_MS / 1000}s (killed)` : `${(ms / 1000).toFixed(2)}s`)
console.log(`\na later step's go mod download of ${universe.modules.length} modules, the first proxy of the chain silent; loopback\n`)
console.log('| later step | time |')
console.log('|---|---|')
console.log(`| through the action's proxy (median of ${ROUNDS}) | ${s(median(withIt))} |`)
console.log(`| the chain alone | ${s(withoutIt[0])} |`)
console.log(`\nthe action's proxy: ${(median(memory.map(m => m.startedMiB)) as number).toFixed(0)} MiB resident once started, ${(median(memory.map(m => m.servedMiB)) as number).toFixed(0)} MiB after serving; ${idleCpuS.toFixed(2)} CPU-s in ${IDLE_SAMPLE_MS / 1000} s idle`)
