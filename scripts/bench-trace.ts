// `npm run bench:trace`: where one run's wall time goes. The bundled action runs once, cold,
// over the benchmark's universe (npm run bench's: 160 modules of realistic sizes, go.sum lines
// of 40 more) on a loopback proxy 50 ms away (BENCH_TRACE_LATENCY_MS), with GO_MOD_DOWNLOAD_TRACE
// set (src/util/trace.ts). The timeline joins what the step traced (node's milestones, go env, the
// toolchain, the plan, the fetch, the hashing threads, the summary) with the log's groups as
// they arrived (restore, check, probe, go's attempts, save); then each thread's CPU time, and
// what the step's children (go, git, the cache processes) used. One run on a shared machine:
// the figures say where time goes, not how fast it is; compare runs only side by side.
import './scratch.ts'
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { TRACE_ENV, type Trace } from '../src/util/trace.ts'
import { runBundled, runPostBundled } from '../test/support/action.ts'
import { offlineGoEnv, tempModcache } from '../test/support/go.ts'
import { healthy, startProxy } from '../test/support/proxy-server.ts'
import { ensureTools } from '../test/support/tools.ts'
import { benchUniverse, childrenCpuSeconds, heavyUniverse, mib, secs, settledDisk, settlingNote, watchPeak } from './measure.ts'

const LATENCY_MS = Number(process.env.BENCH_TRACE_LATENCY_MS ?? 50)
/** BENCH_TRACE_HEAVY=1: npm run bench's heavy universe instead (measure.ts). */
const HEAVY_RUN = Boolean(process.env.BENCH_TRACE_HEAVY)
const root = path.join(os.tmpdir(), 'trace')
const universe = HEAVY_RUN ? await heavyUniverse(root) : await benchUniverse(root, 160, 40)
await ensureTools()
const proxy = await startProxy(universe.proxyDir, healthy, { latencyMs: LATENCY_MS })

const traceFile = path.join(root, 'trace.json')
/** Log text as it arrived, each piece with its time (ms since the epoch). */
const arrivals: { at: number; text: string }[] = []
let seen = 0
let stopPeak: (() => number) | undefined
await settledDisk()
const cpuBefore = childrenCpuSeconds()
const spawnedAt = Date.now()
const run = await runBundled(process.execPath, { proxies: proxy.url, 'working-directory': 'sample' }, root, { ...offlineGoEnv(tempModcache()), [TRACE_ENV]: traceFile }, (log, step) => {
  stopPeak ??= watchPeak(step.pid)
  arrivals.push({ at: Date.now(), text: log.slice(seen) })
  seen = log.length
})
const endedAt = Date.now()
const peakMiB = stopPeak?.() ?? 0
const childrenCpu = childrenCpuSeconds() - cpuBefore
if (run.exitCode !== 0) throw new Error(`the action failed:\n${run.log}`)
await runPostBundled(run, root, {})
await proxy.close()

const trace = JSON.parse(readFileSync(traceFile, 'utf8')) as Trace
/** A step's time (ms since its time origin) as seconds since it was spawned. */
const fromStep = (ms: number) => (trace.timeOrigin + ms - spawnedAt) / 1000
const fromEpoch = (ms: number) => (ms - spawnedAt) / 1000

interface Row {
  what: string
  from: number
  to: number
  source: string
}
const rows: Row[] = [
  { what: "node's start: spawned to its bootstrap complete", from: 0, to: fromStep(trace.node.bootstrapComplete), source: 'node' },
  ...(trace.spans.length > 0
    ? [{ what: "between node's bootstrap and the first traced span: the bundle loaded, the inputs read", from: fromStep(trace.node.bootstrapComplete), to: fromStep(Math.min(...trace.spans.map(s => s.start))), source: 'node, trace' }]
    : []),
  ...trace.spans.map(s => ({ what: s.name, from: fromStep(s.start), to: fromStep(s.end), source: 'trace' })),
  ...groups(arrivals),
  { what: 'exit: the last traced moment to the process gone', from: fromStep(trace.exitAt), to: fromEpoch(endedAt), source: 'node' }
].sort((a, b) => a.from - b.from)

const cpu = (c: { user: number; system: number }) => `${((c.user + c.system) / 1e6).toFixed(2)} s (user ${(c.user / 1e6).toFixed(2)}, system ${(c.system / 1e6).toFixed(2)})`
const processCpu = trace.threads.find(t => t.thread === 'process')
const table = [
  `One cold run of the bundled action (dist/index.js) over ${universe.modules.length} generated modules (npm run bench's ${HEAVY_RUN ? 'heavy ' : ''}universe), one loopback proxy ${LATENCY_MS} ms away; ${os.cpus().length} cores${process.env.BENCH_TRACE_NOTE ? `; ${process.env.BENCH_TRACE_NOTE}` : ''}. Wall time ${secs(fromEpoch(endedAt))}, the step's peak memory ${peakMiB.toFixed(0)} MiB. Times are seconds since the step was spawned; "trace" rows come from GO_MOD_DOWNLOAD_TRACE (src/util/trace.ts), "log" rows from the log's groups as they arrived. Spans overlap: the fetch runs while go works. ${settlingNote()}`,
  '',
  '| from | to | took | what | source |',
  '|---:|---:|---:|---|---|',
  ...rows.map(r => `| ${r.from.toFixed(3)} | ${r.to.toFixed(3)} | ${(r.to - r.from).toFixed(3)} | ${r.what} | ${r.source} |`),
  '',
  '| thread | CPU time |',
  '|---|---|',
  ...trace.threads.map(t => `| ${t.thread === 'process' ? "the step's node process, all its threads (libuv's pool and V8's included)" : t.thread} | ${cpu(t)} |`),
  `| the step and the children it waited for (go, git, the cache processes) | ${childrenCpu.toFixed(2)} s |`,
  ...(processCpu ? [`| of which outside the step's node process | ${(childrenCpu - (processCpu.user + processCpu.system) / 1e6).toFixed(2)} s |`] : []),
  '',
  `The proxy sent ${mib(proxy.bytesServed())}.`
].join('\n')
console.log(`\n${table}\n`)
writeFileSync(path.join(import.meta.dirname, '..', 'docs', HEAVY_RUN ? 'bench-trace-heavy.md' : 'bench-trace.md'), `${table}\n`)

/** The log's `::group::` … `::endgroup::` spans, timed by when their lines arrived. */
function groups(pieces: { at: number; text: string }[]): Row[] {
  const found: Row[] = []
  let open: { what: string; from: number } | undefined
  for (const piece of pieces) {
    for (const line of piece.text.split('\n')) {
      const name = /^::group::(.*)$/.exec(line)?.[1]
      if (name !== undefined) open = { what: name.replace(/https?:\/\/[^ )|]+/g, 'the proxy'), from: fromEpoch(piece.at) }
      else if (line.startsWith('::endgroup::') && open) {
        found.push({ ...open, to: fromEpoch(piece.at), source: 'log' })
        open = undefined
      }
    }
  }
  return found
}
