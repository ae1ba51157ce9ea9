// The job's proxy for any go command, as a front door asks for it: the same setup and probe as a
// run (the settings, go's environment, the candidates asked for real module bytes), then the
// verifying, hedging proxy over the healthy candidates' URLs in the probe's order, on the address
// asked for. The front door says when it stops.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { InputError } from './inputs.ts'
import { serveJobProxy, type ServingProxy } from '../later/serve.ts'
import { HttpClient } from '../net/client.ts'
import { moduleRouting } from '../go/private.ts'
import { runProbe } from '../probe/stage.ts'
import { port } from './port.ts'
import { type SetupOptions, setUp } from './setup.ts'

export interface ServeOptions extends SetupOptions {
  listen: { host: string; port: number }
}

export interface Serving extends ServingProxy {
  /** The candidates it serves from, in order, as people see them. */
  candidates: string[]
  /** The entries go handles itself (direct, off, file://), as given: not served, and not in its URL. */
  goOwn: string[]
}

/** `secrets` gets each credential as it is found; the proxy's secret path is one of them. */
export async function serve(options: ServeOptions, secrets: string[]): Promise<Serving> {
  const { settings, env, candidates, network, deps } = await setUp(options, secrets)
  // direct, off and file:// are go's own: it falls through to them behind the proxy if it is told to.
  if (!candidates.some(c => !c.keyword)) throw new InputError('proxies', `${candidates.map(c => c.display).join(',')} names no proxy URL to serve from`)
  const routing = moduleRouting(env)
  const client = new HttpClient(network, { maxSockets: settings.concurrency })
  // The checksum database is go's to ask (GOSUMDB): this proxy does not relay it.
  const probe = await runProbe({ client, candidates, sumLines: deps.sumLines, isPrivate: m => routing.direct(m) !== undefined, gosumdb: 'off', timeoutMs: settings.probeTimeoutMs, selection: settings.selection }).finally(() => client.close())
  const urls = probe.chain.filter(c => !c.keyword)
  const latencyOf = (c: (typeof urls)[number]) => probe.probes.find(p => p.candidate === c)?.latencyMs ?? 0
  const secret = randomBytes(18).toString('base64url')
  port.secret(secret)
  secrets.push(secret)
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'go-mod-download-serve-'))
  let proxy: ServingProxy
  try {
    proxy = await serveJobProxy(
      { candidates: urls.map(c => ({ spec: c.spec, latencyMs: latencyOf(c) })), sumLines: deps.sumLines, goauth: env.GOAUTH, secret, stallTimeoutMs: settings.stallTimeoutMs, timeoutMs: settings.timeoutMs, workDir, listen: options.listen, maxSockets: settings.concurrency },
      network.trust
    )
  } catch (e) {
    rmSync(workDir, { recursive: true, force: true })
    throw e
  }
  return {
    ...proxy,
    candidates: urls.map(c => c.display),
    goOwn: candidates.filter(c => c.keyword).map(c => c.display),
    async close() {
      await proxy.close()
      rmSync(workDir, { recursive: true, force: true })
    }
  }
}
