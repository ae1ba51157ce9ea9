// The verifying proxy, wired once for its two users: the step's fetch (stage.ts), which puts it
// first in go's GOPROXY for the attempts, and the job's proxy for later steps
// (later/serve.ts, for the Action's detached process and the CLI's serve). Both are a fetcher over the healthy candidates, a local proxy that
// serves go only what matched go.sum (local-proxy.ts), and, when go asks it for the checksum
// database, a second fetcher that relays go's lookups over the routes to it (sumdb.ts).
import path from 'node:path'
import type { FileJob } from '../module/vouched.ts'
import type { HttpClient } from '../net/client.ts'
import { Fetcher } from './fetcher.ts'
import { type LocalProxy, startLocalProxy, type SumdbRelay } from './local-proxy.ts'
import type { RankedCandidates } from './race.ts'
import { Store } from './store.ts'

export interface VerifyingProxyOptions {
  client: HttpClient
  candidates: RankedCandidates
  /** The files go.sum vouches for, by request path (module/vouched.ts). */
  known: Map<string, FileJob>
  /** The path prefix only go is given. */
  secret: string
  /**
   * Where the proxy keeps its own files: fetched for one request, the relay's, and the verified
   * ones unless `store` keeps them (go's download cache, for the step).
   */
  dir: string
  store?: Store
  /** Threads that hash zips; one unless given. */
  hashThreads?: number
  rounds: number
  backoffMs: number
  stallTimeoutMs: number
  /** The longest one file may take (Fetcher's `fileTimeoutMs`); none unless given. */
  fileTimeoutMs?: number
  /** Where to listen; 127.0.0.1 on a free port unless given. */
  listen?: { host: string; port: number }
}

export interface VerifyingProxy {
  /** Where go reaches it, the secret included. */
  url: string
  local: LocalProxy
  fetcher: Fetcher
  /**
   * Relays go's lookups of the checksum database `name` from now on; its routes are given to the
   * fetcher returned, as they come (until then a lookup waits for them).
   */
  relaySumdb: (name: string) => Fetcher
  /** Bytes received from candidates, the relay's included. */
  bytes: () => number
  /** Ends the requests under way and the local proxy. */
  close: () => Promise<void>
}

export async function startVerifyingProxy(options: VerifyingProxyOptions): Promise<VerifyingProxy> {
  const fetcher = fetcherIn(options.dir, options, { candidates: options.candidates, store: options.store, hashThreads: options.hashThreads })
  let sumdb: SumdbRelay | undefined
  let local: LocalProxy
  try {
    local = await startLocalProxy(fetcher, options.known, { secret: options.secret, sumdb: () => sumdb, ...(options.listen ? { listen: options.listen } : {}) })
  } catch (e) {
    // The address is taken or refused: nothing started stays behind.
    await fetcher.close()
    throw e
  }
  return {
    url: local.url,
    local,
    fetcher,
    relaySumdb: name => {
      // Its answers are signed, and go checks them: they are kept apart from go's cache.
      sumdb = { name, fetcher: fetcherIn(path.join(options.dir, 'sumdb'), options, { candidates: [], candidatesComing: true }) }
      return sumdb.fetcher
    },
    bytes: () => fetcher.bytes + (sumdb?.fetcher.bytes ?? 0),
    close: async () => {
      await Promise.all([local.close(), fetcher.close(), sumdb?.fetcher.close()])
    }
  }
}

/** A fetcher whose verified files are kept in `store`, or else under `dir`, and its files for one request under `dir`. */
function fetcherIn(
  dir: string,
  options: Pick<VerifyingProxyOptions, 'client' | 'rounds' | 'backoffMs' | 'stallTimeoutMs' | 'fileTimeoutMs'>,
  own: { candidates: RankedCandidates; store?: Store | undefined; hashThreads?: number | undefined; candidatesComing?: boolean }
): Fetcher {
  return new Fetcher({
    client: options.client,
    candidates: own.candidates,
    store: own.store ?? new Store({ root: path.join(dir, 'store'), downloads: '' }),
    transientDir: path.join(dir, 'transient'),
    rounds: options.rounds,
    backoffMs: options.backoffMs,
    stallTimeoutMs: options.stallTimeoutMs,
    ...(options.fileTimeoutMs ? { fileTimeoutMs: options.fileTimeoutMs } : {}),
    ...(own.hashThreads ? { hashThreads: own.hashThreads } : {}),
    ...(own.candidatesComing ? { candidatesComing: true } : {})
  })
}
