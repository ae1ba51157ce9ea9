// Every request the action makes, seeing the network as the go binary on the runner sees it:
// go's trust roots, go's forward-proxy choice (CONNECT tunnels for https, absolute URLs for
// http, credentials from the proxy URL), and go's credentials (URL userinfo, else GOAUTH),
// sent only over https. node:http rather than fetch: fetch refuses some ports outright (its
// "bad ports"), which go does not. The tunnels are https-proxy-agent and http-proxy-agent
// (maintained, keep-alive pooling); which proxy, if any, is decided here by go's own rules.
import { closeSync, openSync, writeSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import tls from 'node:tls'
import { HttpProxyAgent } from 'http-proxy-agent'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { redactUrl, secretsIn } from '../util/credentials.ts'
import { classifyError, NetError, SlowError } from './errors.ts'
import { sharedLookup } from './lookups.ts'
import { basicAuthorization, type GoAuth, type Headers, loadGoAuth } from './goauth.ts'
import { type Env, type ProxyChoice, proxyFor, type ProxyRules, proxyRules } from './proxy-env.ts'
import { loadTrust, type Trust } from './trust.ts'
import { stallCheckEveryMs, Throughput } from '../util/timing.ts'

/** The runner's network as go sees it, read once per run. */
export interface NetworkView {
  trust: Trust
  proxies: ProxyRules
  auth: GoAuth
}

/**
 * `goauth` is what `go env GOAUTH` reports (it may come from `go env -w`). `trust` may be loaded
 * ahead (it depends on the environment alone, and reading the system's store takes a while).
 */
export async function loadNetworkView(env: Env, goauth: string, trust: Trust = loadTrust(env)): Promise<NetworkView> {
  return { trust, proxies: proxyRules(env), auth: await loadGoAuth(goauth || 'netrc', env) }
}

/** Every secret the view holds, to mask in logs: forward-proxy credentials and GOAUTH's. */
export function networkSecrets(view: NetworkView): string[] {
  const proxies = [view.proxies.http, view.proxies.https].flatMap(p => (p ? secretsIn(p.url.href) : []))
  return [...proxies, ...view.auth.secrets()]
}

export interface HttpAnswer {
  status: number
  contentType: string
  body: Buffer
}

/** A body streamed to a file: never held in memory. */
export interface Downloaded {
  status: number
  contentType: string
  size: number
}

/** curl's `--speed-limit` and `--speed-time`: a transfer below `bytesPerSec` over a whole `windowMs` is given up. */
export interface Floor {
  bytesPerSec: number
  windowMs: number
}

export interface GetOptions {
  signal: AbortSignal
  maxBytes: number
  /**
   * Fails the request when, over a whole window from its first connection on, its body came
   * slower than the floor. Only body bytes count: a connection that never answers, a handshake
   * or a redirect that drips, headers followed by silence or a trickle are all below it.
   */
  floor: Floor
  /** Called when the answer's headers arrive (not a redirect's): the first byte, for hedging. */
  onHeaders?: () => void
  /** Called with the size of each chunk received: progress, for the watchdog and throughput. */
  onData?: (bytes: number) => void
}

/** What is done with an answer's body: read into memory, or streamed to a file, telling `onData` of each chunk. */
type Consume<T> = (response: http.IncomingMessage, status: number, contentType: string, onData: (bytes: number) => void) => Promise<T>

/** go's securityPreservingHTTPClient: at most 10 redirects, never from https to http. */
const MAX_REDIRECTS = 10

export class HttpClient {
  readonly view: NetworkView
  private readonly secureContext: tls.SecureContext
  private readonly agents = new Map<string, http.Agent>()
  private readonly maxSockets: number
  /** Every connection's DNS lookup: one per host at a time (lookups.ts). */
  private readonly lookup = sharedLookup()

  constructor(view: NetworkView, options: { maxSockets?: number } = {}) {
    this.view = view
    this.maxSockets = options.maxSockets ?? Infinity
    // One context for every connection: parsing hundreds of roots per handshake would cost more than the request.
    this.secureContext = tls.createSecureContext({ ca: view.trust.certificates })
  }

  /** The forward proxy a request to url goes through (undefined: a direct connection). */
  route(url: string | URL): ProxyChoice | undefined {
    return proxyFor(this.view.proxies, typeof url === 'string' ? new URL(url) : url)
  }

  /** `url` may carry `user:password@`: sent as Basic credentials, as go sends them. */
  get(url: string, options: GetOptions): Promise<HttpAnswer> {
    return this.request(url, options, (response, status, contentType, onData) =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          onData(chunk.length)
          chunks.push(chunk)
          if (size > options.maxBytes) {
            reject(new NetError('http', `answer larger than ${options.maxBytes} bytes`))
            response.destroy()
          }
        })
        response.on('end', () => resolve({ status, contentType, body: Buffer.concat(chunks) }))
        response.on('error', reject)
      })
    )
  }

  /**
   * Like get, but a 200's body goes to `file` as it arrives; other answers' bodies are dropped.
   * Each chunk is written at once, synchronously: a write to the page cache takes microseconds,
   * while an asynchronous one wakes a thread-pool thread per chunk, which on 2 busy cores cost
   * several times the write itself (the hashing threads need those cores), and kept chunks
   * waiting in memory meanwhile.
   */
  download(url: string, file: string, options: GetOptions): Promise<Downloaded> {
    return this.request(url, options, async (response, status, contentType, onData) => {
      if (status !== 200) {
        response.resume()
        return { status, contentType, size: 0 }
      }
      let size = 0
      // A new file only: never through a link, never into a file that is there (store.ts names it afresh).
      const fd = openSync(file, 'wx')
      try {
        for await (const chunk of response as AsyncIterable<Buffer>) {
          size += chunk.length
          if (size > options.maxBytes) {
            response.destroy()
            throw new NetError('http', `answer larger than ${options.maxBytes} bytes`)
          }
          onData(chunk.length)
          for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at)
        }
      } finally {
        closeSync(fd)
      }
      return { status, contentType, size }
    })
  }

  private async request<T>(url: string, given: GetOptions, consume: Consume<T>): Promise<T> {
    const floor = watchFloor(given.floor)
    const options: GetOptions & { onSocket: () => void } = {
      ...given,
      signal: AbortSignal.any([given.signal, floor.signal]),
      onData: bytes => {
        floor.add(bytes)
        given.onData?.(bytes)
      },
      onSocket: floor.start
    }
    try {
      return await this.follow(url, options, consume)
    } catch (e) {
      throw floor.signal.aborted ? floor.signal.reason : e
    } finally {
      floor.stop()
    }
  }

  /** The request, along its redirects, and again once after a 4xx if GOAUTH has new credentials. */
  private async follow<T>(url: string, options: GetOptions & { onSocket: () => void }, consume: Consume<T>): Promise<T> {
    let target = new URL(url)
    let headers = this.credentials(target)
    target.username = ''
    target.password = ''
    let refreshed = false
    for (let redirects = 0; ; redirects++) {
      const answer = await this.once(target, headers, options, consume)
      if ('location' in answer) {
        if (redirects >= MAX_REDIRECTS) throw new NetError('http', `stopped after ${MAX_REDIRECTS} redirects`)
        const next = new URL(answer.location, target)
        if (target.protocol === 'https:' && next.protocol !== 'https:') {
          throw new NetError('http', `redirected from secure URL ${redactUrl(target.href)} to insecure URL ${redactUrl(next.href)}`)
        }
        // Credentials stay with the host they were given for.
        if (next.host !== target.host) headers = {}
        target = next
        continue
      }
      // go asks its GOAUTH commands again, with the URL, after a 4xx, and retries once.
      if (!refreshed && answer.status >= 400 && answer.status < 500 && target.protocol === 'https:') {
        refreshed = true
        if (await this.view.auth.refresh(target, String(answer.status))) {
          headers = this.credentials(target)
          continue
        }
      }
      return answer.result
    }
  }

  /** Destroys the pooled connections. */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy()
    this.agents.clear()
  }

  private credentials(url: URL): Headers {
    if (url.username || url.password) return { authorization: [basicAuthorization(decodeURIComponent(url.username), decodeURIComponent(url.password))] }
    return this.view.auth.headersFor(url) ?? {}
  }

  private agentFor(url: URL, proxy: ProxyChoice | undefined): http.Agent {
    const secure = url.protocol === 'https:'
    const key = `${url.protocol}|${proxy?.url.href ?? 'direct'}`
    let agent = this.agents.get(key)
    if (agent) return agent
    const pool = { keepAlive: true, maxSockets: this.maxSockets, lookup: this.lookup }
    if (!proxy) agent = secure ? new https.Agent(pool) : new http.Agent(pool)
    else {
      if (proxy.url.protocol !== 'http:' && proxy.url.protocol !== 'https:') {
        throw new NetError('proxy', `${proxy.from} is ${redactUrl(proxy.url.href)}: the action's own requests cannot use a ${proxy.url.protocol.slice(0, -1)} proxy (go can)`)
      }
      // An https proxy is itself reached over TLS, trusted as go trusts it.
      const toProxy = { ...pool, secureContext: this.secureContext }
      agent = secure ? new HttpsProxyAgent(proxy.url, toProxy) : new HttpProxyAgent(proxy.url, toProxy)
    }
    this.agents.set(key, agent)
    return agent
  }

  private once<T>(url: URL, headers: Headers, options: GetOptions & { onSocket: () => void }, consume: Consume<T>): Promise<{ location: string } | { status: number; result: T }> {
    let proxy: ProxyChoice | undefined
    let agent: http.Agent
    try {
      proxy = this.route(url)
      agent = this.agentFor(url, proxy)
    } catch (e) {
      return Promise.reject(classifyError(e))
    }
    const via = proxy && `${redactUrl(proxy.url.href).replace(/\/$/, '')} (${proxy.from})`
    const secure = url.protocol === 'https:'
    return new Promise((resolve, reject) => {
      const fail = (e: unknown) => reject(classifyError(e, via))
      const request = (secure ? https : http).get(
        url,
        { signal: options.signal, headers, agent, ...(secure ? { secureContext: this.secureContext } : {}) },
        response => {
          const status = response.statusCode ?? 0
          if (status === 407 && via) {
            response.resume()
            return reject(new NetError('proxy', `forward proxy ${via} answered 407 Proxy Authentication Required; give its credentials in the proxy URL (http://user:password@host:port)`))
          }
          const location = response.headers.location
          if (status >= 300 && status < 400 && location) {
            response.resume()
            return resolve({ location })
          }
          options.onHeaders?.()
          consume(response, status, response.headers['content-type'] ?? '', bytes => options.onData?.(bytes)).then(result => resolve({ status, result }), fail)
        }
      )
      request.on('error', fail)
      request.once('socket', options.onSocket)
    })
  }
}

/**
 * The floor's watch over one request: from its first connection, checked ten times a window
 * (at most every half second), it aborts the request once a whole window brought less than the
 * floor. One timer per request in flight: a few dozen at most.
 */
function watchFloor(floor: Floor): { signal: AbortSignal; start: () => void; add: (bytes: number) => void; stop: () => void } {
  const controller = new AbortController()
  let meter: Throughput | undefined
  let timer: NodeJS.Timeout | undefined
  return {
    signal: controller.signal,
    start: () => {
      if (meter) return
      meter = new Throughput(floor.windowMs, performance.now())
      timer = setInterval(() => {
        if (!meter?.below(floor.bytesPerSec, performance.now())) return
        clearInterval(timer)
        controller.abort(new SlowError(floor.bytesPerSec, floor.windowMs))
      }, stallCheckEveryMs(floor.windowMs))
      timer.unref()
    },
    add: bytes => meter?.add(bytes, performance.now()),
    stop: () => clearInterval(timer)
  }
}
