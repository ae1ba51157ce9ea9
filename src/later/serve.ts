// The job's proxy at work, whichever process runs it (the Action's detached one, or the CLI's
// `serve` in the foreground): hedging and failover across the candidates, per-request limits,
// and files go.sum names served only after they matched it.
import path from 'node:path'
import { rmSync } from 'node:fs'
import type { CandidateStats } from '../fetch/stats.ts'
import { startVerifyingProxy } from '../fetch/verifying-proxy.ts'
import { processEnv } from '../go/goenv.ts'
import { parseCandidates } from '../go/goproxy.ts'
import { knownFiles } from '../module/vouched.ts'
import { HttpClient, loadNetworkView } from '../net/client.ts'
import type { Trust } from '../net/trust.ts'
import type { JobProxyConfig, JobProxyStats } from './config.ts'

const ROUNDS = 3
const BACKOFF_MS = 250
const MAX_SOCKETS = 32

export type ServeConfig = Pick<JobProxyConfig, 'candidates' | 'sumLines' | 'goauth' | 'secret' | 'stallTimeoutMs' | 'timeoutMs' | 'sumdb' | 'workDir'> & {
  /** Where to listen; 127.0.0.1 on a free port unless given. */
  listen?: { host: string; port: number }
  /** The most connections to candidates at once. */
  maxSockets?: number
}

export interface ServingProxy {
  /** Where go reaches it: with the secret path prefix. */
  url: string
  /** Requests that carried the secret, so far: a count that moves while go is using it. */
  requests(): number
  stats(stopped?: string): JobProxyStats
  /** Stops serving and removes the verified files it kept (its folder is the caller's). */
  close(): Promise<void>
}

export async function serveJobProxy(config: ServeConfig, trust?: Trust): Promise<ServingProxy> {
  const network = await loadNetworkView(processEnv(), config.goauth, trust)
  const client = new HttpClient(network, { maxSockets: config.maxSockets ?? MAX_SOCKETS })
  const candidates = parseCandidates(config.candidates.map(c => c.spec).join(','))
  // go never asks a proxy for a private module, so nothing is excluded here.
  const known = knownFiles(config.sumLines, () => false)
  let proxy
  try {
    proxy = await startVerifyingProxy({
      client,
      candidates: candidates.map((candidate, i) => ({ candidate, latencyMs: config.candidates[i]?.latencyMs ?? 0 })),
      known,
      secret: config.secret,
      dir: config.workDir,
      rounds: ROUNDS,
      backoffMs: BACKOFF_MS,
      stallTimeoutMs: config.stallTimeoutMs,
      fileTimeoutMs: config.timeoutMs,
      ...(config.listen ? { listen: config.listen } : {})
    })
  } catch (e) {
    client.close()
    throw e
  }
  // go asks it whether it proxies the checksum database (GOSUMDB without a URL): yes, over the routes the step probed.
  if (config.sumdb) {
    proxy.relaySumdb(config.sumdb.name).useCandidates(parseCandidates(config.sumdb.routes.join(',')).map(candidate => ({ candidate, latencyMs: 0 })))
  }
  const { fetcher, local: served } = proxy
  return {
    url: served.url,
    requests: () => served.requests,
    stats: stopped => ({
      requests: served.requests,
      served: served.served,
      refused: served.refused,
      files: fetcher.files,
      zips: fetcher.zips,
      bytes: fetcher.bytes,
      hedges: fetcher.hedges,
      retries: fetcher.retries,
      rejected: fetcher.rejected,
      candidates: candidates.map(c => ({ display: c.display, stats: fetcher.stats.get(c) as CandidateStats })),
      ...(stopped ? { stopped } : {})
    }),
    async close() {
      await proxy.close()
      client.close()
      rmSync(path.join(config.workDir, 'store'), { recursive: true, force: true })
    }
  }
}
