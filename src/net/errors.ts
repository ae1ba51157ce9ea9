// What went wrong with a request, in classes that decide what happens next: a candidate that
// answered somehow (an HTTP error, a certificate, a refusal) is a better bet than one that
// said nothing, and a TLS or forward-proxy error may be the runner's to fix.
import { formatDuration } from '../util/duration.ts'

export type FailureKind =
  /** No complete answer in time: a hang, a drip, a handshake that never ends. */
  | 'silent'
  | 'refused'
  | 'reset'
  | 'dns'
  /** The certificate chain or the TLS handshake. */
  | 'tls'
  /** The forward proxy itself: unreachable, refusing (407), or unsupported. */
  | 'proxy'
  /** An answer, but the wrong one: an HTTP error or bytes go.sum disagrees with. */
  | 'http'
  | 'other'

export class NetError extends Error {
  readonly kind: FailureKind
  constructor(kind: FailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'NetError'
    this.kind = kind
  }
}

/** A transfer below the floor rate for a whole window: silent, dripping, or never getting to its answer. */
export class SlowError extends NetError {
  constructor(bytesPerSec: number, windowMs: number) {
    super('silent', `slower than ${bytesPerSec} bytes/s for ${formatDuration(windowMs)}`)
  }
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|HOSTNAME_MISMATCH|ERR_OSSL_)/

/** Node's errors in these classes; `via` names the forward proxy when the request went through one. */
export function classifyError(e: unknown, via?: string): NetError {
  if (e instanceof NetError) return e
  const error = e as Error & { code?: string }
  const code = error.code ?? ''
  const message = error.code && !error.message.includes(error.code) ? `${error.message} (${error.code})` : error.message
  let kind: FailureKind = 'other'
  if (error.name === 'AbortError' || error.name === 'TimeoutError') kind = 'silent'
  else if (code === 'ECONNREFUSED') kind = 'refused'
  else if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/.test(error.message)) kind = 'reset'
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') kind = 'dns'
  else if (TLS_CODES.test(code) || /certificate|SSL routines|TLS/i.test(error.message)) kind = 'tls'
  // Through a forward proxy, the only connection made is to the proxy (a tunnel's TLS is the candidate's own).
  if (via && (kind === 'refused' || kind === 'dns' || kind === 'reset')) {
    return new NetError('proxy', `forward proxy ${via}: ${describeKind(kind, message)}`, { cause: e })
  }
  return new NetError(kind, describeKind(kind, message), { cause: e })
}

function describeKind(kind: FailureKind, message: string): string {
  if (kind === 'refused') return 'connection refused'
  if (kind === 'reset') return 'connection reset'
  return message
}

/** A candidate that answered anything at all ranks before one that said nothing. */
export function answered(kind: FailureKind | undefined): boolean {
  return kind !== 'silent'
}

/** Failures go may not share: the action's own trust roots or forward-proxy settings may be at fault. */
export function goMayNotShare(kind: FailureKind | undefined): boolean {
  return kind === 'tls' || kind === 'proxy'
}
