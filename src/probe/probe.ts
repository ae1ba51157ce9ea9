// Probing a candidate: does it serve real module bytes, and how fast? Through the same
// network view as go (trust roots, forward proxy, credentials), so its verdict is go's.
import { redactUrl } from '../util/credentials.ts'
import { formatDuration } from '../util/duration.ts'
import { judgeFileProxy } from './file-proxy.ts'
import { type Candidate, requestUrl } from '../go/goproxy.ts'
import { isAbsent } from '../module/absent.ts'
import { goModHash, type SumLine } from '../module/gosum.ts'
import { downloadPath, listPath } from '../module/request.ts'
import type { HttpClient } from '../net/client.ts'
import { classifyError, type FailureKind } from '../net/errors.ts'
import { FLOOR_BYTES_PER_SEC } from '../util/timing.ts'
import { Cutoff } from './cutoff.ts'

export type Verdict = 'healthy' | 'unhealthy' | 'slow' | 'not probed'

export interface ProbeResult {
  candidate: Candidate
  verdict: Verdict
  latencyMs?: number
  reason: string
  /** Why a probe failed, in classes: what orders the fallback and what the summary explains. */
  failure?: FailureKind
  /** The forward proxy the probe went through, for people (credentials masked). */
  via?: string
}

/** What to ask every candidate, and how to judge its answer (undefined = good, else why not). */
export interface ProbeRequest {
  path: string
  describe: string
  judge: (status: number, contentType: string, body: Buffer) => string | undefined
}

const MAX_BODY = 4 << 20

/** The .mod of a go.sum module: only a server of real module bytes matches go.sum's hash. */
export function modRequest(target: SumLine): ProbeRequest {
  const what = `${target.module}@${target.version} .mod`
  return {
    path: `/${downloadPath(target.module, target.version, 'mod')}`,
    describe: what,
    judge: (status, contentType, body) => {
      if (status !== 200) return `HTTP ${status} for ${what}`
      if (goModHash(body) === target.hash) return undefined
      if (/html/i.test(contentType) || /^\s*<(!doctype|html)/i.test(body.toString('utf8', 0, 200))) {
        return `200 with an HTML page instead of ${what}`
      }
      return `wrong bytes for ${what}: hash differs from go.sum`
    }
  }
}

/**
 * With no go.sum line to check, a version list still proves the protocol: every line a
 * version, never a page. A plain 404/410 is how a proxy says it lacks a module.
 */
export function protocolRequest(module = 'golang.org/toolchain'): ProbeRequest {
  const what = `${module} version list`
  return {
    path: `/${listPath(module)}`,
    describe: what,
    judge: (status, contentType, body) => {
      const html = /html/i.test(contentType)
      if (isAbsent(status) && !html) return undefined
      if (status !== 200) return `HTTP ${status} for ${what}`
      const lines = body.toString('utf8').split('\n').filter(l => l.trim() !== '')
      if (!html && lines.every(l => /^v\d+\.\d+\.\d+\S*$/.test(l.trim()))) return undefined
      return `answer to ${what} is not a version list${html ? ' (an HTML page)' : ''}`
    }
  }
}

/** `onHealthy` hears of each healthy candidate as it answers, before the others are settled. */
export async function probeAll(
  client: HttpClient,
  candidates: Candidate[],
  request: ProbeRequest,
  timeoutMs: number,
  onHealthy?: (result: ProbeResult) => void
): Promise<ProbeResult[]> {
  const cutoff = new Cutoff(timeoutMs)
  try {
    return await Promise.all(
      candidates.map(async candidate => {
        if (candidate.keyword) return { candidate, verdict: 'not probed', reason: candidate.dir ? judgeFileProxy(candidate.dir, request) : `${candidate.spec} is used as given` } as ProbeResult
        const result = await probeCandidate(client, candidate, request, timeoutMs, cutoff.signal)
        if (result.verdict === 'healthy' && result.latencyMs !== undefined) {
          cutoff.answered(result.latencyMs, candidate.display)
          onHealthy?.(result)
        }
        return result
      })
    )
  } finally {
    cutoff.clear()
  }
}

async function probeCandidate(
  client: HttpClient,
  candidate: Candidate,
  request: ProbeRequest,
  timeoutMs: number,
  cutoff: AbortSignal
): Promise<ProbeResult> {
  const url = requestUrl(candidate, request.path)
  const via = route(client, url)
  const started = performance.now()
  try {
    // The probe timeout is the floor's window too: an answer is waited for that long, however it comes.
    const answer = await client.get(url, { signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), cutoff]), maxBytes: MAX_BODY, floor: { bytesPerSec: FLOOR_BYTES_PER_SEC, windowMs: timeoutMs } })
    const latencyMs = performance.now() - started
    const problem = request.judge(answer.status, answer.contentType, answer.body)
    return problem
      ? { candidate, verdict: 'unhealthy', latencyMs, reason: problem, failure: 'http', ...via }
      : { candidate, verdict: 'healthy', latencyMs, reason: `served ${request.describe}`, ...via }
  } catch (e) {
    if (cutoff.aborted) return { candidate, verdict: 'slow', reason: String(cutoff.reason), failure: 'silent', ...via }
    const error = classifyError(e)
    const reason = error.kind === 'silent' ? `no complete answer within ${formatDuration(timeoutMs)}` : error.message
    return { candidate, verdict: 'unhealthy', reason, failure: error.kind, ...via }
  }
}

/** The forward proxy a candidate is reached through, as people should see it. */
function route(client: HttpClient, url: string): { via?: string } {
  try {
    const proxy = client.route(url)
    return proxy ? { via: `${proxy.from} ${redactUrl(proxy.url.href).replace(/\/$/, '')}` } : {}
  } catch {
    return {}
  }
}
