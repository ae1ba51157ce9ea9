// `npm run bench`: plain `go mod download` and the action, side by side in one run, over a
// generated universe of 160 modules with realistic sizes, served by loopback proxies that
// add a fixed latency to every answer. Contenders alternate within each round, and each
// figure is the median of ROUNDS runs. It prints a markdown table with the goals and writes it
// to docs/bench.md, with a chart in docs/bench.svg, for the README.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type Candidate, parseCandidates } from '../src/goproxy.ts'
import { parseGoSum } from '../src/gosum.ts'
import { prefetch } from '../src/prefetch.ts'
import { median } from '../src/prefetch-plan.ts'
import { runBundled } from '../test/support/action.ts'
import { startCacheService } from '../test/support/cache-service.ts'
import { go, goBinary, offlineGoEnv, tempModcache } from '../test/support/go.ts'
import { networkClient } from '../test/support/net.ts'
import { type Fault, healthy, startProxy } from '../test/support/proxy-server.ts'
import { ensureTools } from '../test/support/tools.ts'
import { makeUniverse } from '../test/support/universe.ts'

const ROUNDS = 3
const MODULES = 160
const PLAIN_GO_LIMIT_MS = 120_000
const STALL_TIMEOUT_S = 5

const root = mkdtempSync(path.join(os.tmpdir(), 'bench-'))
const universe = await makeUniverse(root, { count: MODULES, sourceBytes: 'spread' })
await ensureTools()

/** Seconds of one run; a failure is a benchmark error, not a figure. */
type Contender = () => Promise<number>

function plainGo(goproxy: string): Contender {
  return () => {
    const started = performance.now()
    return new Promise((resolve, reject) =>
      execFile(
        goBinary(),
        ['mod', 'download'],
        { cwd: universe.sampleDir, timeout: PLAIN_GO_LIMIT_MS, killSignal: 'SIGKILL', env: { ...process.env, ...offlineGoEnv(tempModcache()), GOPROXY: goproxy } },
        error => (error ? reject(new Error(`plain go failed: ${error.message}`)) : resolve((performance.now() - started) / 1000))
      )
    )
  }
}

function action(proxies: () => string[], inputs: Record<string, string> = {}, where: { modcache?: () => string; env?: Record<string, string> } = {}): Contender {
  return async () => {
    const started = performance.now()
    const run = await runBundled(
      process.execPath,
      { proxies: proxies().join('\n'), 'working-directory': 'sample', ...inputs },
      root,
      { ...offlineGoEnv((where.modcache ?? tempModcache)()), ...where.env }
    )
    if (run.exitCode !== 0) throw new Error(`the action failed:\n${run.log}`)
    return (performance.now() - started) / 1000
  }
}

/** Runs the contenders in turn, ROUNDS times, alternating who goes first; medians in seconds. */
async function sideBySide(contenders: Contender[]): Promise<number[]> {
  const samples: number[][] = contenders.map(() => [])
  for (let round = 0; round < ROUNDS; round++) {
    const order = contenders.map((_, i) => i)
    if (round % 2) order.reverse()
    for (const i of order) samples[i]?.push(await (contenders[i] as Contender)())
  }
  return samples.map(values => median(values) as number)
}

async function proxyWith(fault: Fault, latencyMs: number): Promise<{ url: string; close: () => Promise<void> }> {
  return startProxy(universe.proxyDir, fault, { latencyMs })
}

interface Row {
  scenario: string
  plainLabel: string
  plain: number
  actionLabel: string
  ours: number
  /** The figure the goal is about, and whether it is met. */
  measure: string
  goal: string
  met: boolean
}
const rows: Row[] = []
const s = (x: number) => `${x.toFixed(2)} s`

for (const latency of [10, 50]) {
  const good = await proxyWith(healthy, latency)
  const [plain, ours] = await sideBySide([plainGo(good.url), action(() => [good.url])])
  const ratio = (ours as number) / (plain as number)
  const goal = latency === 50 ? 0.25 : 0.8
  rows.push({
    scenario: `cold, ${latency} ms latency`,
    plainLabel: 'plain go',
    plain: plain as number,
    actionLabel: 'the action',
    ours: ours as number,
    measure: `${ratio.toFixed(2)}× plain go`,
    goal: `≤ ${goal}×`,
    met: ratio <= goal
  })
  await good.close()
}

/** The action with its own new faulty proxy first (nothing carries over between runs) and `good` second. */
function faultyFirst(fault: Fault, good: string, inputs: Record<string, string> = {}): Contender {
  return async () => {
    const bad = await proxyWith(fault, 10)
    try {
      return await action(() => [bad.url, good], inputs)()
    } finally {
      await bad.close()
    }
  }
}

{
  const good = await proxyWith(healthy, 10)
  const [healthyOnly, silentFirst] = await sideBySide([action(() => [good.url]), faultyFirst({ kind: 'hang' }, good.url)])
  const cost = (silentFirst as number) - (healthyOnly as number)
  rows.push({
    scenario: 'a never-answering first candidate (defaults), 10 ms latency',
    plainLabel: 'the action, healthy only',
    plain: healthyOnly as number,
    actionLabel: 'silent first, healthy second',
    ours: silentFirst as number,
    measure: `+${cost.toFixed(2)} s`,
    goal: '≤ +1 s',
    met: cost <= 1
  })

  for (const prefetch of ['true', 'false']) {
    const inputs = { 'stall-timeout': `${STALL_TIMEOUT_S}s`, prefetch }
    const [healthyOnly2, stalled] = await sideBySide([action(() => [good.url], inputs), faultyFirst({ kind: 'stall-after', after: 10 }, good.url, inputs)])
    const recovery = (stalled as number) - (healthyOnly2 as number)
    rows.push({
      scenario: `first candidate stalls after 10 requests, prefetch ${prefetch === 'true' ? 'on' : 'off'} (stall-timeout ${STALL_TIMEOUT_S}s)`,
      plainLabel: 'the action, healthy only',
      plain: healthyOnly2 as number,
      actionLabel: 'stalling first, healthy second',
      ours: stalled as number,
      measure: `recovery +${recovery.toFixed(2)} s`,
      goal: `≤ ${STALL_TIMEOUT_S + 1} s`,
      met: recovery <= STALL_TIMEOUT_S + 1
    })
  }
  await good.close()
}

{
  // Warm: one cold run fills the real cache service, then each warm run starts from an empty
  // module cache at the same path (the cache version covers the path) and restores.
  const good = await proxyWith(healthy, 50)
  const service = await startCacheService()
  const modcache = path.join(root, 'warm-modcache')
  await action(() => [good.url], {}, { modcache: () => modcache, env: service.env })()
  const emptied = () => {
    rmSync(modcache, { recursive: true, force: true })
    return modcache
  }
  const [plain, warm] = await sideBySide([plainGo(good.url), action(() => [good.url], {}, { modcache: emptied, env: service.env })])
  const ratio = (warm as number) / (plain as number)
  rows.push({
    scenario: 'warm: cache restore through the real cache service, 50 ms latency',
    plainLabel: 'plain go, cold',
    plain: plain as number,
    actionLabel: 'the action, warm',
    ours: warm as number,
    measure: `${ratio.toFixed(2)}× plain go`,
    goal: '—',
    met: true
  })
  await service.close()
  await good.close()
}

// The prefetch's concurrency default, by measurement: the prefetch alone, then the offline
// `go mod download` that verifies and extracts, at 50 ms latency.
const sweep: string[] = []
{
  const good = await proxyWith(healthy, 50)
  const lines = parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8'))
  const [candidate] = parseCandidates(good.url)
  const levels = [8, 16, 32, 64, 128]
  const timed = (concurrency: number): Contender => async () => {
    const modcache = tempModcache()
    const started = performance.now()
    const client = await networkClient({}, 'off', concurrency)
    const report = await prefetch({
      client,
      lines,
      isPrivate: () => false,
      modcache,
      concurrency,
      rounds: 3,
      backoffMs: 250,
      stallTimeoutMs: 60_000,
      timeoutMs: 600_000,
      candidates: [{ candidate: candidate as Candidate, latencyMs: 50 }]
    })
    client.close()
    if (report.missed) throw new Error(`prefetch missed ${report.missed} files`)
    await go(['mod', 'download'], universe.sampleDir, offlineGoEnv(modcache))
    return (performance.now() - started) / 1000
  }
  const medians = await sideBySide(levels.map(timed))
  sweep.push('| concurrency | ' + levels.join(' | ') + ' |', '|---|' + levels.map(() => '---|').join(''), '| prefetch + offline go mod download | ' + medians.map(s).join(' | ') + ' |')
  await good.close()
}

const table = [
  `${MODULES} generated modules (log-normal sizes around 160 KiB of source), loopback proxies with a fixed latency per answer; medians of ${ROUNDS} alternating runs; ${os.cpus().length} cores.`,
  '',
  '| scenario | baseline | time | the action | time | figure | goal | met |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map(r => `| ${r.scenario} | ${r.plainLabel} | ${s(r.plain)} | ${r.actionLabel} | ${s(r.ours)} | ${r.measure} | ${r.goal} | ${r.met ? 'yes' : '**no**'} |`),
  '',
  'The prefetch alone at 50 ms latency, then the offline `go mod download` that verifies and extracts, by `concurrency`:',
  '',
  ...sweep
].join('\n')
console.log(`\n${table}\n`)

const docs = path.join(import.meta.dirname, '..', 'docs')
mkdirSync(docs, { recursive: true })
writeFileSync(path.join(docs, 'bench.md'), `${table}\n`)
writeFileSync(path.join(docs, 'bench.svg'), chart(rows))
rmSync(root, { recursive: true, force: true })

/** Per scenario, its name above two bars to scale: the baseline in grey, the action in blue. */
function chart(data: Row[]): string {
  const width = 900
  const bar = 16
  const rowHeight = 18 + 2 * bar + 18
  const max = Math.max(...data.flatMap(r => [r.plain, r.ours]))
  const scale = (width - 320) / max
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const parts = data.map((r, i) => {
    const y = 36 + i * rowHeight
    return [
      `<text x="0" y="${y}" font-size="13" font-weight="bold">${esc(r.scenario)}: ${esc(r.measure)}</text>`,
      `<rect x="0" y="${y + 6}" width="${(r.plain * scale).toFixed(1)}" height="${bar}" fill="#9aa0a6"/>`,
      `<text x="${(r.plain * scale + 6).toFixed(1)}" y="${y + 18}" font-size="12">${esc(r.plainLabel)}: ${s(r.plain)}</text>`,
      `<rect x="0" y="${y + 8 + bar}" width="${(r.ours * scale).toFixed(1)}" height="${bar}" fill="#1a73e8"/>`,
      `<text x="${(r.ours * scale + 6).toFixed(1)}" y="${y + 20 + bar}" font-size="12">${esc(r.actionLabel)}: ${s(r.ours)}</text>`
    ].join('\n')
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${30 + data.length * rowHeight}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="0" y="16" font-size="14">npm run bench: seconds, medians of ${ROUNDS} alternating runs (shorter is better)</text>`,
    ...parts,
    '</svg>',
    ''
  ].join('\n')
}
