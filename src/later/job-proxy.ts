// The job's proxy, a process of its own that outlives the step: later steps' go commands reach
// it first (GOPROXY=http://127.0.0.1:PORT/<secret>|<the chain>) and get what the step's own
// download got: hedging and failover across the healthy candidates, per-request limits, and
// files go.sum names only after they matched it. It writes nothing to the job's log; it
// reports to a file the post step reads, and ends when the post step stops it, when it has
// been idle for the configured time, or when the runner process that started the step is gone.
import '../young-generation.ts'
import { rmSync, writeFileSync, renameSync } from 'node:fs'
import { text } from 'node:stream/consumers'
import path from 'node:path'
import type { CandidateStats } from '../fetch/stats.ts'
import { startVerifyingProxy } from '../fetch/verifying-proxy.ts'
import { processEnv } from '../goenv.ts'
import { parseCandidates } from '../goproxy.ts'
import { knownFiles } from '../module/vouched.ts'
import { HttpClient, loadNetworkView } from '../net/client.ts'
import { loadTrust } from '../net/trust.ts'
import type { JobProxyConfig, JobProxyStats } from './config.ts'

const REPORT_EVERY_MS = 2000
const WATCH_EVERY_MS = 2000
const ROUNDS = 3
const BACKOFF_MS = 250
const MAX_SOCKETS = 32

// The step stops reading this process's output once it is ready: nothing written later may crash it.
process.stdout.on('error', () => undefined)

// Launched before the download ends, it does what it can ahead (the system's trust store), then
// waits for its configuration (credentials included, never on disk); stdin closing without one
// means the step did not need it, or is gone.
const trust = loadTrust(processEnv())
const given = await text(process.stdin)
if (!given) process.exit(0)
const config = JSON.parse(given) as JobProxyConfig

const network = await loadNetworkView(processEnv(), config.goauth, trust)
const client = new HttpClient(network, { maxSockets: MAX_SOCKETS })
const candidates = parseCandidates(config.candidates.map(c => c.spec).join(','))
// go never asks a proxy for a private module, so nothing is excluded here.
const known = knownFiles(config.sumLines, () => false)
const proxy = await startVerifyingProxy({
  client,
  candidates: candidates.map((candidate, i) => ({ candidate, latencyMs: config.candidates[i]?.latencyMs ?? 0 })),
  known,
  secret: config.secret,
  dir: config.workDir,
  rounds: ROUNDS,
  backoffMs: BACKOFF_MS,
  stallTimeoutMs: config.stallTimeoutMs
})
const { fetcher, local } = proxy
// go asks it whether it proxies the checksum database (GOSUMDB without a URL): yes, over the routes the step probed.
if (config.sumdb) {
  proxy.relaySumdb(config.sumdb.name).useCandidates(parseCandidates(config.sumdb.routes.join(',')).map(candidate => ({ candidate, latencyMs: 0 })))
}

const stats = (stopped?: string): JobProxyStats => ({
  requests: local.requests,
  served: local.served,
  refused: local.refused,
  files: fetcher.files,
  zips: fetcher.zips,
  bytes: fetcher.bytes,
  hedges: fetcher.hedges,
  retries: fetcher.retries,
  rejected: fetcher.rejected,
  candidates: candidates.map(c => ({ display: c.display, stats: fetcher.stats.get(c) as CandidateStats })),
  ...(stopped ? { stopped } : {})
})
const report = (stopped?: string) => {
  const temp = `${config.statsFile}.partial`
  writeFileSync(temp, JSON.stringify(stats(stopped)))
  renameSync(temp, config.statsFile)
}

let stopping = false
const stop = async (why: string) => {
  if (stopping) return
  stopping = true
  await proxy.close()
  client.close()
  report(why)
  rmSync(path.join(config.workDir, 'store'), { recursive: true, force: true })
  process.exit(0)
}

let lastRequests = -1
let lastActivity = Date.now()
setInterval(() => {
  if (local.requests !== lastRequests) {
    lastRequests = local.requests
    lastActivity = Date.now()
    report()
  } else if (Date.now() - lastActivity > config.idleMs) void stop(`idle for ${Math.round(config.idleMs / 60_000)} min`)
}, Math.min(REPORT_EVERY_MS, config.idleMs))
setInterval(() => {
  try {
    process.kill(config.watchPid, 0)
  } catch {
    void stop('the job ended')
  }
}, WATCH_EVERY_MS)
process.on('SIGTERM', () => void stop('stopped by the post step'))
process.on('SIGINT', () => void stop('interrupted'))

report()
// The one line the step reads; the step then lets go of this process's output for good.
process.stdout.write(`ready ${local.url}\n`)
