// The post step's account of what later steps fetched through the job's proxy. Pure.
import type { JobProxyEnd } from '../later/stop.ts'
import { formatSize } from '../util/size.ts'
import { markdown, table } from './markdown.ts'

export function laterStepsMarkdown(end: JobProxyEnd): string {
  const lines = ['#### Later steps, through the action’s proxy', '']
  const s = end.stats
  if (s) {
    // Read from a file the job's proxy wrote: every cell escaped like the step's summary.
    const n = (x: number) => String(x)
    lines.push(
      table(
        ['go’s requests', 'Served', 'Files fetched (zips)', 'Data from upstreams', 'Hedges', 'Retries', 'Wrong bytes rejected', 'Refused (no secret)'],
        [[n(s.requests), n(s.served), `${s.files} (${s.zips})`, formatSize(s.bytes), n(s.hedges), n(s.retries), n(s.rejected), n(s.refused)]]
      ),
      '',
      table(
        ['Upstream', 'Requests', 'Data', 'Served', 'Failures', 'Stalls', 'Hedges won / lost'],
        s.candidates.map(({ display, stats: c }) => [display, n(c.requests), formatSize(c.bytes), n(c.served), n(c.failures), n(c.stalls), `${c.hedgesWon} / ${c.hedgesLost}`])
      ),
      ''
    )
  }
  if (!end.wasRunning && !end.unchecked) {
    const why = s?.stopped ? ` (${s.stopped})` : ' (it was killed)'
    lines.push(`> ${markdown(`⚠️ It had stopped before the end of the job${why}; go commands after that went straight to the chain.`)}`, '')
  } else if (!s) lines.push('> It reported nothing.', '')
  return lines.join('\n')
}
