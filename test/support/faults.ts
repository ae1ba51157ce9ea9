// The one fault matrix: every way a module proxy misbehaves that the tests
// (fault-matrix.test.ts) and the benchmark (scripts/bench.ts) meet it with.
import { type Fault, healthy, type ProxyOptions } from './proxy-server.ts'
import { loopbackCertificate } from './tls.ts'

/** A misbehaviour met first in line (before a healthy candidate) and alone. */
export interface Mode {
  name: string
  fault: Fault
  options?: () => ProxyOptions
  /** What the failure must say about this candidate when it is alone (with the matrix's `probe-timeout: 1s`). */
  alone: RegExp
}

/** A certificate the runner does not trust. */
const untrusted = () => ({ tls: loopbackCertificate() })
export const modes: Mode[] = [
  { name: 'never answers', fault: { kind: 'hang' }, alone: /no complete answer within 1\.0s.*(stall|timeout)/s },
  { name: 'refuses connections', fault: { kind: 'refused' }, alone: /connection refused/ },
  { name: 'resets connections', fault: { kind: 'reset' }, alone: /ECONNRESET|connection reset/ },
  { name: 'answers 403', fault: { kind: 'status', status: 403 }, alone: /HTTP 403/ },
  { name: 'answers 429 with Retry-After', fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, alone: /HTTP 429/ },
  { name: 'answers 500', fault: { kind: 'status', status: 500 }, alone: /HTTP 500/ },
  { name: 'answers 502', fault: { kind: 'status', status: 502 }, alone: /HTTP 502/ },
  { name: 'answers 503', fault: { kind: 'status', status: 503 }, alone: /HTTP 503/ },
  { name: 'answers 200 with an HTML page', fault: { kind: 'html' }, alone: /an HTML page/ },
  { name: 'drips one byte per second', fault: { kind: 'drip', bytes: 1, everyMs: 1000 }, alone: /no complete answer within 1\.0s.*(stall|timeout)/s },
  { name: 'stalls after 3 requests', fault: { kind: 'stall-after', after: 3 }, alone: /stall/ },
  { name: 'stalls only on .zip files', fault: { kind: 'stall-zip' }, alone: /stall/ },
  { name: 'serves tampered .mod files', fault: { kind: 'tamper-mod' }, alone: /hash differs from go\.sum.*checksum mismatch/s },
  { name: 'serves tampered .zip files', fault: { kind: 'tamper-zip' }, alone: /checksum mismatch/ },
  { name: 'truncates bodies', fault: { kind: 'truncate' }, alone: /unexpected EOF|ended early|incomplete|aborted/i },
  { name: 'redirects to a dead address', fault: { kind: 'redirect-dead' }, alone: /connection refused/ },
  { name: 'never completes the TLS handshake', fault: { kind: 'tls-hang' }, alone: /no complete answer within 1\.0s/ },
  { name: 'has an untrusted certificate', fault: healthy, options: untrusted, alone: /certificate/ }
]

/**
 * The slow-body family: an answer that starts, then never finishes. Each applies to the files
 * of the path under test only (`on`), so that the candidate passes its probe (a .mod) and is
 * first in go's chain; a TLS handshake that drips spares the first connections (the probe's).
 */
export interface SlowMode {
  name: string
  fault: (on: string[], connectionsSpared: number) => Fault
  /** The candidate speaks https (with a certificate the runner trusts through SSL_CERT_FILE). */
  tls?: true
}
export const slowModes: SlowMode[] = [
  { name: 'sends the headers, then nothing', fault: on => ({ kind: 'slow-body', how: 'headers-then-silence', on }) },
  { name: 'drips its body, a byte every 400 ms', fault: on => ({ kind: 'slow-body', how: 'drip', on }) },
  { name: 'sends half the body, then nothing', fault: on => ({ kind: 'slow-body', how: 'half-then-silence', on }) },
  { name: 'sends a chunked body that never ends', fault: on => ({ kind: 'slow-body', how: 'endless-chunked', on }) },
  { name: 'drips its side of the TLS handshake', fault: (_, spared) => ({ kind: 'tls-drip', after: spared }), tls: true },
  { name: 'redirects to a host that never answers', fault: on => ({ kind: 'slow-body', how: 'redirect-silent', on }) }
]
