// The stage that hands the chain to later steps: GOPROXY exported, after a successful download
// behind the job's proxy (unless protect-later-steps is false), so that their go commands get
// the same protection. It returns what the summary says of it and what the front door exports,
// and writes its own log lines.
import { port } from '../engine/port.ts'
import { formatDuration } from '../util/duration.ts'
import { type Candidate, goproxyDisplay, goproxyValue } from '../go/goproxy.ts'
import type { SumLine } from '../module/gosum.ts'
import type { ProbeResult } from '../probe/probe.ts'
import { type SumdbProbe, sumdbRelay } from '../go/sumdb.ts'
import { type JobProxyState, LATER_STEPS_STATE } from './config.ts'
import type { JobProxyLaunch } from './start.ts'

export interface ExportReport {
  /** GOPROXY as exported, credentials and the proxy's secret masked. */
  exported: string
  /** Whether later steps reach the action's proxy first, or why not; absent when it was not launched or not wanted. */
  laterSteps?: string
  /** GOPROXY for later steps, as the front door exports it (credentials and the proxy's secret included). */
  goproxy: string
  /** What the post step reads to stop the job's proxy, when it runs. */
  postState?: Record<string, string>
}

export async function exportChain(o: {
  chain: Candidate[]
  /** The job's proxy, launched early; undefined when protect-later-steps is false. */
  later: JobProxyLaunch | undefined
  downloadOk: boolean
  probes: ProbeResult[]
  sumdb: SumdbProbe | undefined
  sumLines: SumLine[]
  goauth: string
  idleMs: number
  stallTimeoutMs: number
  timeoutMs: number
}): Promise<ExportReport> {
  const urls = o.chain.filter(c => !c.keyword)
  let front: { url: string; display: string } | undefined
  let laterSteps: string | undefined
  let postState: Record<string, string> | undefined
  if (o.later && o.downloadOk && urls.length > 0) {
    try {
      const proxy = await o.later.start({
        candidates: urls.map(c => ({ spec: c.spec, latencyMs: o.probes.find(p => p.candidate === c)?.latencyMs ?? 0 })),
        sumLines: o.sumLines,
        goauth: o.goauth,
        idleMs: o.idleMs,
        stallTimeoutMs: o.stallTimeoutMs,
        timeoutMs: o.timeoutMs,
        // A GOSUMDB with its own URL is asked directly by go, never through a proxy.
        ...(o.sumdb && !o.sumdb.route.explicit ? { sumdb: { name: o.sumdb.route.name, routes: sumdbRelay(o.sumdb).routes.map(c => c.spec) } } : {})
      })
      port.secret(proxy.secret)
      postState = { [LATER_STEPS_STATE]: JSON.stringify({ pid: proxy.pid, statsFile: proxy.statsFile } satisfies JobProxyState) }
      front = { url: proxy.url, display: proxy.url.replace(proxy.secret, '***') }
      laterSteps = `Later steps reach the action’s proxy first (${front.display}; stopped by the post step, or after ${formatDuration(o.idleMs)} idle), with the same hedging, failover and go.sum checks; if it is gone, go moves straight on to the chain behind it.`
    } catch (e) {
      laterSteps = `Later steps are not protected: ${(e as Error).message}. They use the chain as exported.`
      port.warning(laterSteps)
    }
  }
  return {
    exported: [...(front ? [front.display] : []), goproxyDisplay(o.chain)].join('|'),
    goproxy: [...(front ? [front.url] : []), goproxyValue(o.chain)].join('|'),
    ...(laterSteps ? { laterSteps } : {}),
    ...(postState ? { postState } : {})
  }
}
