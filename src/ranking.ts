// Which healthy candidates go first.
import type { Candidate } from './goproxy.ts'
import type { Selection } from './inputs.ts'
import type { ProbeResult } from './probe.ts'

/** Healthy URL candidates: in the given order, or by probe latency (ties keep the given order). */
export function rankHealthy(results: ProbeResult[], selection: Selection): Candidate[] {
  const healthy = results.filter(r => r.verdict === 'healthy')
  const ranked = selection === 'fastest' ? [...healthy].sort((a, b) => (a.latencyMs ?? 0) - (b.latencyMs ?? 0)) : healthy
  return ranked.map(r => r.candidate)
}
