// Which healthy candidates go first.
import type { Candidate } from '../go/goproxy.ts'
import type { Selection } from '../engine/inputs.ts'
import { answered } from '../net/errors.ts'
import type { ProbeResult } from './probe.ts'

/** Healthy URL candidates: in the given order, or by probe latency (ties keep the given order). */
export function rankHealthy(results: ProbeResult[], selection: Selection): Candidate[] {
  const healthy = results.filter(r => r.verdict === 'healthy')
  const ranked = selection === 'fastest' ? [...healthy].sort((a, b) => (a.latencyMs ?? 0) - (b.latencyMs ?? 0)) : healthy
  return ranked.map(r => r.candidate)
}

/**
 * When no candidate passed its probe, all are tried, since a probe can be wrong: those that
 * answered somehow (an HTTP error, a certificate, a refusal) first, those that said nothing
 * last, each group in the given order. A silent candidate first would cost go a stall-timeout.
 */
export function fallbackOrder(results: ProbeResult[]): Candidate[] {
  const urls = results.filter(r => !r.candidate.keyword)
  return [...urls.filter(r => answered(r.failure)), ...urls.filter(r => !answered(r.failure))].map(r => r.candidate)
}
