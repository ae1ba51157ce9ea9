// One GET with a bounded body, following redirects as go does. node:http rather than fetch:
// fetch refuses some ports outright (its "bad ports"), which go does not.
import http from 'node:http'
import https from 'node:https'

export interface HttpAnswer {
  status: number
  contentType: string
  body: Buffer
}

export interface GetOptions {
  signal: AbortSignal
  maxBytes: number
  authorization?: string
  redirects?: number
  /** Keep-alive agents to reuse connections, one per scheme. */
  agents?: { http: http.Agent; https: https.Agent }
  /** Fails the request when the connection stays silent this long (before or during the answer). */
  idleMs?: number
  /** Called when the answer's headers arrive: the first byte, for hedging. */
  onHeaders?: () => void
}

export function httpGet(url: string, options: GetOptions): Promise<HttpAnswer> {
  const target = new URL(url)
  const secure = target.protocol === 'https:'
  const client = secure ? https : http
  const agent = options.agents ? (secure ? options.agents.https : options.agents.http) : undefined
  return new Promise((resolve, reject) => {
    const request = client.get(
      target,
      { signal: options.signal, headers: options.authorization ? { authorization: options.authorization } : {}, ...(agent ? { agent } : {}) },
      response => {
        options.onHeaders?.()
        const status = response.statusCode ?? 0
        const location = response.headers.location
        if (status >= 300 && status < 400 && location) {
          response.resume()
          const next = new URL(location, target)
          const left = options.redirects ?? 10
          if (left === 0) return reject(new Error('too many redirects'))
          // Credentials stay with the host they were given for.
          const { authorization, ...rest } = options
          const carry = next.host === target.host && authorization ? { authorization } : {}
          return resolve(httpGet(next.toString(), { ...rest, ...carry, redirects: left - 1 }))
        }
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          chunks.push(chunk)
          if (size > options.maxBytes) {
            // Rejecting first makes the 'end' that may still follow a no-op.
            reject(new Error(`answer larger than ${options.maxBytes} bytes`))
            response.destroy()
          }
        })
        response.on('end', () => resolve({ status, contentType: response.headers['content-type'] ?? '', body: Buffer.concat(chunks) }))
        response.on('error', reject)
      }
    )
    request.on('error', reject)
    if (options.idleMs) {
      request.setTimeout(options.idleMs, () => request.destroy(new IdleError(options.idleMs as number)))
    }
  })
}

class IdleError extends Error {
  constructor(ms: number) {
    super(`connection silent for ${Math.round(ms)}ms`)
    this.name = 'IdleError'
  }
}

/** A failed request in words: a timeout, a refused or reset connection, or the error itself. */
export function describeHttpError(e: unknown, timeoutText: string): string {
  const error = e as Error & { code?: string }
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return `no complete answer within ${timeoutText}`
  if (error.code === 'ECONNREFUSED') return 'connection refused'
  if (error.code === 'ECONNRESET') return 'connection reset'
  return error.code && !error.message.includes(error.code) ? `${error.message} (${error.code})` : error.message
}
