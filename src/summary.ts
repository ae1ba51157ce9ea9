// The job summary: first a model of what happened (pure data), then its markdown.
import type { RestoreReport, SaveReport } from './cache/service.ts'
import type { BuildRestoreReport } from './cache/build.ts'
import type { VerifyReport } from './cache/verify.ts'
import { formatDuration } from './duration.ts'
import { goMayNotShare } from './net/errors.ts'
import type { FetchReport } from './fetch/stage.ts'
import type { ProbeResult } from './probe/probe.ts'
import type { AttemptRecord } from './retry.ts'
import { describeSumdb, type SumdbProbe } from './sumdb.ts'
import type { ToolchainReport } from './toolchain/provide.ts'

export interface RunFacts {
  ok: boolean
  failure?: string
  probes: ProbeResult[]
  /** Why probes are missing or were overruled. */
  probeNote?: string
  chosen?: string
  exported?: string
  /** Whether later steps reach the action's proxy first, or why not. */
  laterSteps?: string
  cacheKey?: string
  restore: RestoreReport
  /** The check of the module cache the step started from, when it held anything go.sum names. */
  verify?: VerifyReport
  save?: SaveReport
  /** GOCACHE's restore, when the build-cache input asked for it; the post step saves it. */
  buildCache?: BuildRestoreReport
  /** Whether the post step will save it, or why not. */
  buildCacheSave?: string
  attempts: AttemptRecord[]
  /** The local proxy and the speculative fetch behind it, when they ran. */
  fetch?: FetchReport
  /** Where the certificates the action trusted came from (go's sources on this runner). */
  trust?: string[]
  /** The toolchain go switches to for this module, when it does: where it came from. */
  toolchain?: ToolchainReport
  /** The routes to the checksum database, when go has one (GOSUMDB). */
  sumdb?: SumdbProbe
}

export interface Section {
  heading: string
  header: string[]
  rows: string[][]
  /** Shown under the table: why rows are missing or were overruled, and what a reader can fix. */
  notes?: string[]
}

export interface SummaryModel {
  title: string
  failure?: string
  sections: Section[]
}

const VERDICT = { healthy: '✅ healthy', unhealthy: '❌ unhealthy', slow: '🐢 too slow', 'not probed': '➖ not probed' }
const RESTORE_WORDS = {
  exact: '✅ hit',
  partial: '🟡 partial (restored by prefix)',
  miss: 'miss',
  disabled: 'off',
  unavailable: 'no cache service',
  failed: '⚠️ restore failed',
  'timed-out': '⚠️ restore timed out'
}

export const formatSize = (bytes: number | undefined) => (bytes === undefined ? '' : `${(bytes / (1 << 20)).toFixed(1)} MiB`)
const time = (ms: number | undefined) => (ms === undefined ? '' : formatDuration(ms))
const joined = (...parts: string[]) => parts.filter(Boolean).join(', ')

export function buildSummary(facts: RunFacts): SummaryModel {
  // Zips the fetch put in go's cache (or served it), and those go fetched from the chain itself.
  const modules = facts.attempts.reduce((n, a) => n + a.zips, facts.fetch?.zips ?? 0)
  const title = facts.ok
    ? `✅ Go modules ready: ${modules} downloaded${facts.chosen ? ` through ${facts.chosen}` : ''}`
    : '❌ Go modules could not be downloaded'
  const sections: Section[] = [
    {
      heading: 'Result',
      header: ['Chosen proxy', 'Exported GOPROXY', 'Modules downloaded', 'Attempts'],
      rows: [[facts.chosen ?? '—', facts.exported ?? '—', String(modules), String(facts.attempts.length)]],
      notes: facts.laterSteps ? [facts.laterSteps] : []
    },
    {
      heading: 'Proxies',
      header: ['Candidate', 'Verdict', 'Latency', 'Reason'],
      rows: facts.probes.map(p => [p.candidate.display, VERDICT[p.verdict], time(p.latencyMs), p.via ? `${p.reason}, through ${p.via}` : p.reason]),
      notes: [...(facts.probeNote === undefined ? [] : [facts.probeNote]), ...(facts.sumdb ? [describeSumdb(facts.sumdb, facts.fetch !== undefined)] : []), ...runnerNotes(facts)]
    },
    ...(facts.fetch ? fetchSections(facts.fetch) : []),
    ...(facts.toolchain ? [toolchainSection(facts.toolchain)] : []),
    {
      heading: 'Attempts',
      header: ['Attempt', 'First in line', 'Outcome', 'Duration', 'Why it ended'],
      rows: facts.attempts.map(a => [
        String(a.number),
        a.first,
        a.reason === 'ok' ? '✅ ok' : `❌ ${a.reason}`,
        formatDuration(a.durationMs),
        a.detail || 'completed'
      ])
    },
    {
      heading: 'Cache',
      header: ['Restore', 'Checked against go.sum', 'Key', 'Restored key', 'Save'],
      rows: [
        [
          joined(RESTORE_WORDS[facts.restore.state], formatSize(facts.restore.bytes), time(facts.restore.durationMs)),
          facts.verify ? describeVerify(facts.verify) : '—',
          facts.cacheKey ?? '',
          facts.restore.matchedKey ?? '—',
          facts.save ? joined(facts.save.why, formatSize(facts.save.bytes), time(facts.save.durationMs)) : '—'
        ]
      ],
      notes: facts.verify ? verifyNotes(facts.verify) : []
    },
    ...(facts.buildCache ? [buildCacheSection(facts.buildCache, facts.buildCacheSave)] : [])
  ]
  return { title, ...(facts.failure === undefined ? {} : { failure: facts.failure }), sections }
}

/**
 * Probe failures go may not share, said so that a reader can fix the runner: the action trusts
 * the certificates go trusts and takes the forward proxy go takes, so such a failure is the
 * runner's setup (or, if go still gets through, a difference worth reporting).
 */
function runnerNotes(facts: RunFacts): string[] {
  return facts.probes
    .filter(p => goMayNotShare(p.failure))
    .map(p =>
      p.failure === 'tls'
        ? `⚠️ ${p.candidate.display} failed on TLS: ${p.reason}. The action trusts what go trusts on this runner (${(facts.trust ?? []).join(', ') || 'no certificates found'}); add your CA there (SSL_CERT_FILE, SSL_CERT_DIR or the system store).`
        : `⚠️ ${p.candidate.display} failed at the forward proxy: ${p.reason}. The action routes requests as go does (HTTP_PROXY, HTTPS_PROXY, NO_PROXY); fix the runner's proxy settings, or exempt the host in NO_PROXY.`
    )
}

function toolchainSection(t: ToolchainReport): Section {
  return {
    heading: 'Toolchain',
    header: ['Wanted', 'Installed', 'Source', 'Time'],
    rows: [[t.wanted, t.installed, t.source === 'tool cache' ? 'the runner’s tool cache' : 'fetched through the chain, now in the tool cache', formatDuration(t.durationMs)]],
    notes: [`go.mod asks for ${t.wanted}: go finds it on PATH under that name, in this step and later ones, and fetches nothing.`]
  }
}

function buildCacheSection(b: BuildRestoreReport, save: string | undefined): Section {
  const restore = b.hit ? '✅ hit' : RESTORE_WORDS[b.state]
  return {
    heading: 'Build cache',
    header: ['Restore', 'Restored key', 'Save'],
    rows: [[joined(restore, formatSize(b.bytes), time(b.durationMs)), b.matchedKey ?? '—', save ?? '—']],
    notes: b.warning ? [b.warning] : []
  }
}

/** What the check of the starting module cache hashed, in how long, and what it threw away. */
export function describeVerify(v: VerifyReport): string {
  const counted = [`${v.zips} zips`, `${v.trees} extracted trees`, `${v.mods} go.mod files`].join(', ')
  const outcome = v.discarded.length === 0 ? 'all match' : `${v.discarded.length} discarded`
  return `${counted} in ${formatDuration(v.durationMs)}: ${outcome}`
}

function verifyNotes(v: VerifyReport): string[] {
  return [
    ...v.discarded.map(d => `⚠️ discarded: ${d.module} ${d.version}, ${d.why}; fetched again.`),
    ...(v.repaired > 0 ? [`.ziphash rewritten for ${v.repaired} zip${v.repaired === 1 ? '' : 's'} that matched go.sum (it was missing or wrong).`] : [])
  ]
}

function fetchSections(f: FetchReport): Section[] {
  const totals: Section = {
    heading: 'Fetch',
    header: ['Files', 'Zips', 'Data', 'Time', "go's requests (served)", 'Retries', 'Hedges', 'Rejected (wrong bytes)', 'Peak in flight'],
    rows: [
      [
        `${f.files} of ${f.planned} planned`,
        `${f.plannedZips} (go.sum has ${f.sumLines} lines)`,
        formatSize(f.bytes),
        formatDuration(f.durationMs),
        `${f.requests} (${f.served})`,
        String(f.retries),
        String(f.hedges),
        String(f.rejected),
        String(f.peakLimit)
      ]
    ],
    notes: [
      ...(f.extracted > 0 ? [`${f.extracted} of the zips were extracted as they were verified, so go did not extract them again.`] : []),
      ...(f.stopped ? [`The speculative fetch stopped early: ${f.stopped}; go fetched the rest.`] : []),
      ...(f.unresolved ? [`${f.unresolved} go.mod files could not be read for the plan; go fetched around them itself.`] : [])
    ]
  }
  const perCandidate: Section = {
    heading: 'Fetch, by candidate',
    header: ['Candidate', 'Requests', 'Data', 'Served', 'Failures', 'Stalls', 'Hedges won / lost', 'Wrong bytes', 'Moved'],
    rows: f.candidates.map(({ candidate, stats: s, moved }) => [
      candidate.display,
      String(s.requests),
      formatSize(s.bytes),
      String(s.served),
      String(s.failures),
      String(s.stalls),
      `${s.hedgesWon} / ${s.hedgesLost}`,
      String(s.rejected),
      moved ?? '—'
    ])
  }
  return [totals, perCandidate]
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

function table(header: string[], rows: string[][]): string {
  return [header, header.map(() => '---'), ...rows].map(r => `| ${r.map(cell).join(' | ')} |`).join('\n')
}

export function renderSummary(model: SummaryModel): string {
  const parts = [`### ${model.title}`]
  if (model.failure) parts.push('```text\n' + model.failure + '\n```')
  for (const section of model.sections) {
    parts.push(`#### ${section.heading}`)
    if (section.rows.length > 0) parts.push(table(section.header, section.rows))
    for (const note of section.notes ?? []) parts.push(`> ${note}`)
    if (section.rows.length === 0 && !section.notes?.length) parts.push('_None._')
  }
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
