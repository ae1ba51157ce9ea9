// The post step's account of what later steps fetched through the job's proxy. Pure.
import { formatSize } from '../summary.ts'
import type { JobProxyEnd } from './stop.ts'

export function laterStepsMarkdown(end: JobProxyEnd): string {
  const lines = ['#### Later steps, through the action’s proxy', '']
  const s = end.stats
  if (s) {
    lines.push(
      '| go’s requests | Served | Files fetched (zips) | Data from upstreams | Hedges | Retries | Wrong bytes rejected | Refused (no secret) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      `| ${s.requests} | ${s.served} | ${s.files} (${s.zips}) | ${formatSize(s.bytes)} | ${s.hedges} | ${s.retries} | ${s.rejected} | ${s.refused} |`,
      '',
      '| Upstream | Requests | Data | Served | Failures | Stalls | Hedges won / lost |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...s.candidates.map(
        ({ display, stats: c }) => `| ${display.replace(/\|/g, '\\|')} | ${c.requests} | ${formatSize(c.bytes)} | ${c.served} | ${c.failures} | ${c.stalls} | ${c.hedgesWon} / ${c.hedgesLost} |`
      ),
      ''
    )
  }
  if (!end.wasRunning) {
    const why = s?.stopped ? ` (${s.stopped})` : ' (it was killed)'
    lines.push(`> ⚠️ It had stopped before the end of the job${why}; go commands after that went straight to the chain.`, '')
  } else if (!s) lines.push('> It reported nothing.', '')
  return lines.join('\n')
}
