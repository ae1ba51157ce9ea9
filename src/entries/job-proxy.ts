// The job's proxy, a process of its own that outlives the step: later steps' go commands reach
// it first (GOPROXY=http://127.0.0.1:PORT/<secret>|<the chain>) and get what the step's own
// download got: hedging and failover across the healthy candidates, per-request limits, and
// files go.sum names only after they matched it. It writes nothing to the job's log; it
// reports to a file the post step reads, and ends when the post step stops it, when it has
// been idle for the configured time, or when the runner process that started the step is gone.
import '../util/heap-growth.ts'
import { renameSync, writeFileSync } from 'node:fs'
import { text } from 'node:stream/consumers'
import { processEnv } from '../go/goenv.ts'
import type { JobProxyConfig } from '../later/config.ts'
import { serveJobProxy } from '../later/serve.ts'
import { loadTrust } from '../net/trust.ts'

const REPORT_EVERY_MS = 2000
const WATCH_EVERY_MS = 2000

// The step stops reading this process's output once it is ready: nothing written later may crash it.
process.stdout.on('error', () => undefined)

// Launched before the download ends, it does what it can ahead (the system's trust store), then
// waits for its configuration (credentials included, never on disk); stdin closing without one
// means the step did not need it, or is gone.
const trust = loadTrust(processEnv())
const given = await text(process.stdin)
if (!given) process.exit(0)
const config = JSON.parse(given) as JobProxyConfig

const local = await serveJobProxy(config, trust)
// A report that cannot be written (no descriptor left: anyone on the machine can open enough
// connections to use them up; a full disk) is skipped, and a later one tries again: thrown from
// a timer, it would end the proxy later steps are using, and free its port for anyone to take.
const report = (stopped?: string) => {
  const temp = `${config.statsFile}.partial`
  try {
    writeFileSync(temp, JSON.stringify(local.stats(stopped)))
    renameSync(temp, config.statsFile)
  } catch {
    // The post step reads the last one written.
  }
}

let stopping = false
const stop = async (why: string) => {
  if (stopping) return
  stopping = true
  await local.close()
  report(why)
  process.exit(0)
}

let lastRequests = -1
let lastActivity = Date.now()
setInterval(() => {
  if (local.requests() !== lastRequests) {
    lastRequests = local.requests()
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
