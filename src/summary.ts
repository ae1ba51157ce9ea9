// The job summary: first a model of what happened (pure data), then its markdown.
import type { RestoreReport, SaveReport } from './cache/service.ts'
import type { BuildRestoreReport } from './cache/build.ts'
import type { VerifyReport } from './cache/verify.ts'
import type { DirectFetch, DirectReason } from './download/direct.ts'
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
  /** The first candidate that served anything, `direct` when go cloned everything it fetched, else absent. */
  chosen?: string
  /** Modules go fetched direct in this step, and why. */
  direct?: DirectFetch[]
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

/** Words from outside (go's error line, a server's, a cache service's key): shown verbatim in a code span. */
export interface Quoted {
  quoted: string
}

/** What a cell or a note says: the action's words (shown as plain text, never markup) and quoted ones. */
export type Text = string | Quoted | (string | Quoted)[]

export const quoted = (text: string): Quoted => ({ quoted: text })

export interface Section {
  heading: string
  header: string[]
  rows: Text[][]
  /** Shown under the table: why rows are missing or were overruled, and what a reader can fix. */
  notes?: Text[]
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
  const proxied = facts.attempts.reduce((n, a) => n + a.zips, facts.fetch?.zips ?? 0)
  const direct = facts.direct ?? []
  const modules = proxied + direct.length
  const title = facts.ok ? `✅ Go modules ready: ${downloadedWords(proxied, direct, facts.chosen)}` : '❌ Go modules could not be downloaded'
  const sections: Section[] = [
    {
      heading: 'Result',
      header: ['Chosen proxy', 'Exported GOPROXY', 'Modules downloaded', 'Attempts'],
      rows: [[facts.chosen ?? '—', facts.exported ?? '—', direct.length > 0 ? `${modules} (${direct.length} direct)` : String(modules), String(facts.attempts.length)]],
      notes: facts.laterSteps ? [facts.laterSteps] : []
    },
    {
      heading: 'Proxies',
      header: ['Candidate', 'Verdict', 'Latency', 'Reason'],
      rows: facts.probes.map(p => [p.candidate.display, VERDICT[p.verdict], time(p.latencyMs), p.via ? [probeReason(p), `, through ${p.via}`] : probeReason(p)]),
      notes: [...(facts.probeNote === undefined ? [] : [facts.probeNote]), ...(facts.sumdb ? [describeSumdb(facts.sumdb, facts.fetch !== undefined)] : []), ...runnerNotes(facts)]
    },
    ...(direct.length > 0 ? [directSection(direct)] : []),
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
        a.detail ? quoted(a.detail) : 'completed'
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
          // The key the cache service answered with, and the log of a failed save, are its words.
          facts.restore.matchedKey ? quoted(facts.restore.matchedKey) : '—',
          facts.save ? saveCell(facts.save) : '—'
        ]
      ],
      notes: [...(facts.verify ? verifyNotes(facts.verify) : []), ...(direct.length > 0 ? [CLONES_NOT_CACHED] : [])]
    },
    ...(facts.buildCache ? [buildCacheSection(facts.buildCache, facts.buildCacheSave)] : [])
  ]
  return { title, ...(facts.failure === undefined ? {} : { failure: facts.failure }), sections }
}

/** The headline's count: through which proxy, and how many direct and why. */
function downloadedWords(proxied: number, direct: DirectFetch[], chosen: string | undefined): string {
  const through = chosen && chosen !== 'direct' ? ` through ${chosen}` : ''
  if (direct.length === 0) return `${proxied} downloaded${through}`
  const why = `direct (${[...new Set(direct.map(d => REASON_NAMES[d.why]))].join(', ')})`
  if (proxied === 0) return `${direct.length} downloaded ${why}`
  return `${proxied + direct.length} downloaded: ${proxied}${through || ' through the proxies'}, ${direct.length} ${why}`
}

const REASON_NAMES: Record<DirectReason, string> = { GOPRIVATE: 'GOPRIVATE', GONOPROXY: 'GONOPROXY', direct: 'direct in GOPROXY' }

const REASONS: Record<DirectReason, string> = {
  GOPRIVATE: 'GOPRIVATE covers it: go asks no proxy for it',
  GONOPROXY: 'GONOPROXY covers it: go asks no proxy for it',
  direct: 'no proxy before direct in GOPROXY served it'
}

const CLONES_NOT_CACHED =
  'The zips go made from its clones are cached like any others and checked against go.sum when restored; the clones themselves (GOMODCACHE/cache/vcs) are never saved, whatever cache-contents says: go needs only the zips, and a clone from a cache entry could carry git configuration or hooks that run when go runs git in it.'

/** The modules go cloned from their repositories itself, each with the setting or entry that sent it there. */
function directSection(direct: DirectFetch[]): Section {
  return {
    heading: 'Fetched direct',
    header: ['Module', 'Version', 'Why'],
    rows: direct.map(d => [quoted(d.module), quoted(d.version), REASONS[d.why]]),
    notes: ['go fetched these from their repositories itself (git, under the same watchdog), never through a proxy or the action.']
  }
}

/**
 * Probe failures go may not share, said so that a reader can fix the runner: the action trusts
 * the certificates go trusts and takes the forward proxy go takes, so such a failure is the
 * runner's setup (or, if go still gets through, a difference worth reporting).
 */
function runnerNotes(facts: RunFacts): Text[] {
  return facts.probes
    .filter(p => goMayNotShare(p.failure))
    .map(p =>
      p.failure === 'tls'
        ? [`⚠️ ${p.candidate.display} failed on TLS: `, probeReason(p), `. The action trusts what go trusts on this runner (${(facts.trust ?? []).join(', ') || 'no certificates found'}); add your CA there (SSL_CERT_FILE, SSL_CERT_DIR or the system store).`]
        : [`⚠️ ${p.candidate.display} failed at the forward proxy: `, probeReason(p), `. The action routes requests as go does (HTTP_PROXY, HTTPS_PROXY, NO_PROXY); fix the runner's proxy settings, or exempt the host in NO_PROXY.`]
    )
}

/** An unhealthy candidate's reason is an error's words, which may quote its server (a certificate's names): shown as such. */
const probeReason = (p: ProbeResult): string | Quoted => (p.verdict === 'unhealthy' ? quoted(p.reason) : p.reason)

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
    rows: [[joined(restore, formatSize(b.bytes), time(b.durationMs)), b.matchedKey ? quoted(b.matchedKey) : '—', save ?? '—']],
    notes: b.warning ? [quoted(b.warning)] : []
  }
}

function saveCell(save: SaveReport): Text {
  const figures = joined(formatSize(save.bytes), time(save.durationMs))
  if (save.state !== 'failed') return joined(save.why, figures)
  return figures ? [quoted(save.why), `, ${figures}`] : quoted(save.why)
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

// Markdown that could make markup of the action's words: emphasis, links and images, HTML and
// entities, strikethrough, code; `_` only where it can start or end emphasis; a block marker at the start.
const MARKUP = /[\\`*[\]<>&~]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu
const BLOCK_START = /^[#+\-=]/

/** The action's words as markdown that shows them as they are, on one line. */
function plain(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(MARKUP, '\\$&').replace(BLOCK_START, '\\$&')
}

/** Words from outside as a code span: no markup, link or HTML of theirs is rendered. */
function codeSpan(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ')
  if (flat.trim() === '') return plain('—')
  const fence = '`'.repeat(Math.max(0, ...(flat.match(/`+/g) ?? []).map(run => run.length)) + 1)
  // CommonMark strips one space from each end, and a backtick at an end would join the fence.
  const pad = /^[` ]|[` ]$/.test(flat) ? ' ' : ''
  return `${fence}${pad}${flat}${pad}${fence}`
}

/** Masks secrets in text before it is escaped (escaped, a secret may no longer read as itself). */
type Redact = (text: string) => string

/** A cell's or a note's markdown. */
export function markdown(text: Text, redact: Redact = t => t): string {
  return (Array.isArray(text) ? text : [text]).map(part => (typeof part === 'string' ? plain(redact(part)) : codeSpan(redact(part.quoted)))).join('')
}

/** A fenced block that nothing in `text` can close. */
function fenced(text: string): string {
  const fence = '`'.repeat(Math.max(2, ...(text.match(/`+/g) ?? []).map(run => run.length)) + 1)
  return `${fence}text\n${text}\n${fence}`
}

/** A markdown table: every cell escaped (in a table, a | ends the cell even inside a code span). */
export function table(header: string[], rows: Text[][], redact?: Redact): string {
  const cell = (text: Text) => markdown(text, redact).replace(/\|/g, '\\|')
  return [header.map(cell), header.map(() => '---'), ...rows.map(r => r.map(cell))].map(r => `| ${r.join(' | ')} |`).join('\n')
}

export function renderSummary(model: SummaryModel, redact: Redact = t => t): string {
  const parts = [`### ${markdown(model.title, redact)}`]
  if (model.failure) parts.push(fenced(redact(model.failure)))
  for (const section of model.sections) {
    parts.push(`#### ${section.heading}`)
    if (section.rows.length > 0) parts.push(table(section.header, section.rows, redact))
    for (const note of section.notes ?? []) parts.push(`> ${markdown(note, redact)}`)
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
