// Who served a successful download, from what the step saw: go's answered requests (its -x
// output), the fetch's per-candidate counts and the file:// entries go read zips from (direct.ts). The chosen proxy is the first of the chain that
// served anything (`direct` when go cloned all it fetched); the chain for later steps leaves out
// the candidates that failed their probe and served nothing, so that a refused or silent one is
// never first for them, as long as go can still fetch with what remains.
import type { FetchReport } from '../fetch/stage.ts'
import { type Candidate, candidatesOf, leaveOut } from '../go/goproxy.ts'
import type { ProbeResult } from '../probe/probe.ts'
import type { DirectFetch } from './direct.ts'

export interface Served {
  chain: Candidate[]
  chosen?: string
  /** Candidates left out of the chain: failed their probe, served nothing. */
  leftOut: Candidate[]
}

export function whoServed(o: { chain: Candidate[]; probes: ProbeResult[]; answered: string[]; fetch?: FetchReport; direct: DirectFetch[]; files?: Candidate[] }): Served {
  const served = [...candidatesOf(o.chain, o.answered), ...(o.fetch?.candidates.filter(c => c.stats.served > 0).map(c => c.candidate) ?? []), ...(o.files ?? [])]
  const unproven = o.probes.filter(p => (p.verdict === 'unhealthy' || p.verdict === 'slow') && !served.includes(p.candidate)).map(p => p.candidate)
  const chain = leaveOut(o.chain, unproven)
  const chosen = chain.find(c => served.includes(c))?.display ?? (o.direct.length > 0 ? 'direct' : undefined)
  return { chain, ...(chosen ? { chosen } : {}), leftOut: o.chain.filter(c => !chain.includes(c)) }
}
