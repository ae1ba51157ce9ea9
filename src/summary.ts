// The job summary: first a model of what happened (pure data), then its markdown.
import type { RestoreReport, SaveReport } from './cache.ts'
import { formatDuration } from './duration.ts'
import type { ProbeResult } from './probe.ts'
import type { AttemptRecord } from './retry.ts'

export interface RunFacts {
  ok: boolean
  failure?: string
  probes: ProbeResult[]
  /** Why probes are missing or were overruled. */
  probeNote?: string
  chosen?: string
  exported?: string
  cacheKey?: string
  restore: RestoreReport
  save?: SaveReport
  attempts: AttemptRecord[]
}

export interface SummaryModel {
  title: string
  failure?: string
  probes: string[][]
  probeNote?: string
  choice: string[][]
  cache: string[][]
  attempts: string[][]
}

const VERDICT_ICON = { healthy: '✅ healthy', unhealthy: '❌ unhealthy', 'not probed': '➖ not probed' }
const RESTORE_WORDS = {
  exact: 'hit',
  partial: 'partial (restored by prefix)',
  miss: 'miss',
  disabled: 'off',
  unavailable: 'no cache service',
  failed: 'restore failed'
}

const size = (bytes: number | undefined) => (bytes === undefined ? '' : `${(bytes / (1 << 20)).toFixed(1)} MiB`)
const time = (ms: number | undefined) => (ms === undefined ? '' : formatDuration(ms))

export function buildSummary(facts: RunFacts): SummaryModel {
  const modules = facts.attempts.reduce((n, a) => n + a.zips, 0)
  const title = facts.ok
    ? `✅ Go modules ready: ${modules} downloaded${facts.chosen ? ` through ${facts.chosen}` : ''}`
    : '❌ Go modules could not be downloaded'
  return {
    title,
    ...(facts.failure === undefined ? {} : { failure: facts.failure }),
    probes: facts.probes.map(p => [
      p.candidate.display,
      VERDICT_ICON[p.verdict],
      p.latencyMs === undefined ? '' : formatDuration(p.latencyMs),
      p.reason
    ]),
    ...(facts.probeNote === undefined ? {} : { probeNote: facts.probeNote }),
    choice: [
      ['Chosen proxy', facts.chosen ?? ''],
      ['Exported GOPROXY', facts.exported ?? ''],
      ['Modules downloaded', String(modules)]
    ],
    cache: [
      ['Key', facts.cacheKey ?? ''],
      ['Restored key', facts.restore.matchedKey ?? ''],
      ['Restore', [RESTORE_WORDS[facts.restore.state], size(facts.restore.bytes), time(facts.restore.durationMs)].filter(Boolean).join(', ')],
      ['Save', facts.save ? [facts.save.why, size(facts.save.bytes), time(facts.save.durationMs)].filter(Boolean).join(', ') : '']
    ],
    attempts: facts.attempts.map(a => [
      String(a.number),
      a.first,
      a.reason === 'ok' ? '✅ ok' : `❌ ${a.reason}`,
      formatDuration(a.durationMs),
      a.detail
    ])
  }
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

function table(header: string[], rows: string[][]): string {
  return [header, header.map(() => '---'), ...rows].map(r => `| ${r.map(cell).join(' | ')} |`).join('\n')
}

export function renderSummary(model: SummaryModel): string {
  const parts = [`### ${model.title}`]
  if (model.failure) parts.push('```text\n' + model.failure + '\n```')
  parts.push('#### Proxies')
  if (model.probes.length > 0) parts.push(table(['Candidate', 'Verdict', 'Latency', 'Reason'], model.probes))
  if (model.probeNote) parts.push(`> ${model.probeNote}`)
  parts.push(table(['', ''], model.choice))
  parts.push('#### Cache', table(['', ''], model.cache))
  parts.push('#### Attempts')
  parts.push(
    model.attempts.length > 0
      ? table(['Attempt', 'First in line', 'Outcome', 'Duration', 'Why it ended'], model.attempts)
      : 'No download ran.'
  )
  return parts.join('\n\n') + '\n'
}

/** The step's error: each candidate, what its probe found, and how its attempts ended. */
export function describeFailure(probes: ProbeResult[], attempts: AttemptRecord[]): string {
  const lines = [`go mod download failed after ${attempts.length} attempt${attempts.length === 1 ? '' : 's'}.`]
  for (const probe of probes) {
    const own = attempts.filter(a => a.first === probe.candidate.display)
    const tried = own.map(a => `attempt ${a.number}: ${a.reason}${a.detail ? ` (${a.detail})` : ''}`)
    lines.push(`- ${probe.candidate.display}: ${probe.verdict}, ${probe.reason}${tried.length ? `; ${tried.join('; ')}` : ''}`)
  }
  const last = attempts.at(-1)
  if (last) lines.push(`Last error: ${last.reason}${last.detail ? `: ${last.detail}` : ''}`)
  return lines.join('\n')
}
