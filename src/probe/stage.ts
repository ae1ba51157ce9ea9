// The probe stage: every candidate asked for real module bytes, the routes to the checksum
// database asked beside them, and the chain go will use, ranked from what they answered. It
// logs its own lines and returns its report; the run keeps the report for the summary.
import { port } from '../engine/port.ts'
import { formatDuration } from '../util/duration.ts'
import { assembleChain, type Candidate } from '../go/goproxy.ts'
import { probeTarget, type SumLine } from '../module/gosum.ts'
import type { Selection } from '../engine/inputs.ts'
import type { HttpClient } from '../net/client.ts'
import { describeSumdb, parseGosumdb, SumdbRoutes } from '../go/sumdb.ts'
import { modRequest, probeAll, type ProbeResult, protocolRequest } from './probe.ts'
import { fallbackOrder, rankHealthy } from './ranking.ts'

export interface ProbeOptions {
  client: HttpClient
  candidates: Candidate[]
  /** go.sum's lines: one of them is what each candidate must serve, byte for byte. */
  sumLines: SumLine[]
  /** Modules never asked of a public candidate (GOPRIVATE, GONOPROXY). */
  isPrivate: (module: string) => boolean
  /** `go env GOSUMDB`: the checksum database whose routes are probed too. */
  gosumdb: string
  timeoutMs: number
  selection: Selection
  /** Told of the first candidate that answered healthy, before the others are waited for. */
  onFirstHealthy?: (first: ProbeResult) => void
}

export interface ProbeReport {
  probes: ProbeResult[]
  /** How the checksum database is reached, when GOSUMDB names one: learned as its routes answer (nothing waits for them). */
  sumdb?: SumdbRoutes
  /** The chain to use: the healthy candidates ranked, keywords where given; all of them when none passed. */
  chain: Candidate[]
  /** Said when no candidate passed its probe. */
  note?: string
}

export async function runProbe(options: ProbeOptions): Promise<ProbeReport> {
  const { client, candidates, timeoutMs } = options
  const target = probeTarget(options.sumLines, options.isPrivate)
  const sumdbRoute = parseGosumdb(options.gosumdb)
  // The routes to the checksum database are probed beside the modules (it is asked for what
  // go.sum lacks), and not waited for: the relay takes each route as it answers.
  const sumdb = sumdbRoute ? new SumdbRoutes(client, candidates, sumdbRoute, timeoutMs) : undefined
  // Its reasons may quote a server: shown as text.
  void sumdb?.done.then(found => port.echo(describeSumdb(found, false)))
  const report = await port.group('Probe the proxies', async () => {
    const probes = await probeAll(client, candidates, target ? modRequest(target) : protocolRequest(), timeoutMs, options.onFirstHealthy)
    for (const p of probes) {
      const via = p.via ? `, through ${p.via}` : ''
      // A reason may quote a server (a certificate's names): shown as text.
      port.echo(`${p.candidate.display}: ${p.verdict}${p.latencyMs === undefined ? '' : ` in ${formatDuration(p.latencyMs)}`} (${p.reason}${via})`)
    }
    return { probes, ...(sumdb ? { sumdb } : {}) }
  })
  const ranked = rankHealthy(report.probes, options.selection)
  if (ranked.length > 0 || !candidates.some(c => !c.keyword)) return { ...report, chain: assembleChain(candidates, ranked) }
  const note = 'No candidate passed its probe; trying them all, those that answered before those that did not, since a probe can be wrong.'
  port.warning(note)
  return { ...report, chain: assembleChain(candidates, fallbackOrder(report.probes)), note }
}
