// The job summary's model: from the run's facts, the headline and the sections every renderer
// draws (the step's markdown, the terminal's tables). Pure.
import type { RestoreReport, SaveReport } from '../cache/service.ts'
import type { BuildRestoreReport } from '../cache/build.ts'
import { describeVerify } from '../cache/verify-words.ts'
import type { VerifyReport } from '../cache/verify.ts'
import type { DirectFetch, DirectReason } from '../download/direct.ts'
import { formatDuration } from '../util/duration.ts'
import type { FetchReport } from '../fetch/stage.ts'
import { goMayNotShare } from '../net/errors.ts'
import type { ProbeResult } from '../probe/probe.ts'
import { formatSize } from '../util/size.ts'
import { counted } from '../util/plural.ts'
import { describeSumdb } from '../go/sumdb.ts'
import type { ToolchainReport } from '../toolchain/provide.ts'
import type { RunFacts } from './facts.ts'
import { type Quoted, quoted, type Section, type SummaryModel, type Text } from './model.ts'
import { firstInLineNotes, headline, proxiedZips, REASON_NAMES } from './story.ts'

const VERDICT = { healthy: '✅ healthy', unhealthy: '❌ unhealthy', slow: '🐢 too slow', 'not probed': '➖ not probed' }
const RESTORE_WORDS = {
  exact: '✅ hit',
  partial: '🟡 partial (restored by prefix)',
  miss: 'miss',
  disabled: 'off',
  unavailable: 'no cache service',
  policy: '🔒 not read, by policy',
  failed: '⚠️ restore failed',
  'timed-out': '⚠️ restore timed out'
}

const time = (ms: number | undefined) => (ms === undefined ? '' : formatDuration(ms))
const joined = (...parts: string[]) => parts.filter(Boolean).join(', ')

/** Where the summary is read. `runner: false` (the CLI): no later steps to export to, no cache service, so neither is shown. */
export interface SummaryOptions {
  runner?: boolean
}

export function buildSummary(facts: RunFacts, { runner = true }: SummaryOptions = {}): SummaryModel {
  const proxied = proxiedZips(facts)
  const direct = facts.direct ?? []
  const modules = proxied + direct.length
  const firstInLine = firstInLineNotes(facts)
  const sections: Section[] = [
    {
      heading: 'Proxies',
      open: true,
      header: ['Candidate', 'Verdict', 'Latency', 'Reason'],
      rows: facts.probes.map(p => [p.candidate.display, VERDICT[p.verdict], time(p.latencyMs), p.via ? [probeReason(p), `, through ${p.via}`] : probeReason(p)]),
      notes: [...(facts.probeNote === undefined ? [] : [facts.probeNote]), ...(facts.sumdb ? [describeSumdb(facts.sumdb, facts.fetch !== undefined)] : []), ...runnerNotes(facts)]
    },
    {
      heading: 'Result',
      summary: joined(`${counted(modules, 'module')} in ${counted(facts.attempts.length, 'attempt')}`, runner && facts.exported ? 'GOPROXY exported for later steps' : ''),
      header: ['Chosen proxy', ...(runner ? ['Exported GOPROXY'] : []), 'Modules downloaded', 'Attempts'],
      rows: [[facts.chosen ?? '—', ...(runner ? [facts.exported ?? '—'] : []), direct.length > 0 ? `${modules} (${direct.length} direct)` : String(modules), String(facts.attempts.length)]],
      notes: runner && facts.laterSteps ? [facts.laterSteps] : []
    },
    ...(direct.length > 0 ? [directSection(direct)] : []),
    ...(facts.fetch ? fetchSections(facts.fetch) : []),
    ...(facts.toolchain ? [toolchainSection(facts.toolchain)] : []),
    {
      heading: 'Attempts',
      summary: facts.attempts.length === 0 ? 'none' : facts.attempts.map(a => `${a.reason} in ${formatDuration(a.durationMs)}`).join(', then ') + (firstInLine.length > 0 ? '; a first in line was moved behind (why is under the table)' : ''),
      header: ['Attempt', 'First in line', 'Outcome', 'Duration', 'Why it ended'],
      rows: facts.attempts.map(a => [
        String(a.number),
        a.first,
        a.reason === 'ok' ? '✅ ok' : `❌ ${a.reason}`,
        formatDuration(a.durationMs),
        a.detail ? quoted(a.detail) : 'completed'
      ]),
      notes: firstInLine
    },
    ...(runner ? [cacheSection(facts)] : facts.verify ? [checkSection(facts.verify)] : []),
    ...(facts.buildCache ? [buildCacheSection(facts.buildCache, facts.buildCacheSave)] : [])
  ]
  return { title: headline(facts), ...(facts.failure === undefined ? {} : { failure: facts.failure }), sections }
}

/** The module cache: restored, checked, saved; the service's words (a restored key, a failed save's log) quoted. */
function cacheSection(facts: RunFacts): Section {
  const restore = restoreWords(facts.restore)
  const save = facts.save ? saveCell(facts.save) : undefined
  return {
    heading: 'Cache',
    summary: cacheSummary(facts, restore, save),
    header: ['Restore', 'Checked against go.sum', 'Key', 'Restored key', 'Save'],
    rows: [
      [
        joined(restore, formatSize(facts.restore.bytes), time(facts.restore.durationMs)),
        facts.verify ? describeVerify(facts.verify) : '—',
        facts.cacheKey ?? '',
        facts.restore.matchedKey ? quoted(facts.restore.matchedKey) : '—',
        save ?? '—'
      ]
    ],
    notes: [...(facts.verify ? verifyNotes(facts.verify) : []), ...((facts.direct ?? []).length > 0 ? [CLONES_NOT_CACHED] : [])]
  }
}

/** Without a cache service (the CLI): the check of the module cache the run started from, alone. */
function checkSection(verify: VerifyReport): Section {
  return { heading: 'Module cache', summary: describeVerify(verify), header: ['Checked against go.sum'], rows: [[describeVerify(verify)]], notes: verifyNotes(verify) }
}

/** The cache in a line: a policy that allows neither restore nor save is said once, as the policy it is. */
function cacheSummary(facts: RunFacts, restore: string, save: Text | undefined): Text {
  if (facts.restore.state === 'unavailable') return restore
  if (facts.restore.state === 'policy' && facts.save?.state === 'policy') return `off by policy (${facts.restore.policy}): neither restored nor saved`
  return save ? [`restore ${restore}; `, ...[save].flat()] : `restore ${restore}`
}

/** A restore in words, with the policy that kept it from reading. */
const restoreWords = (r: RestoreReport) => (r.policy ? `${RESTORE_WORDS[r.state]} (${r.policy})` : RESTORE_WORDS[r.state])

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
    summary: `${counted(direct.length, 'module')} (${[...new Set(direct.map(d => REASON_NAMES[d.why]))].join(', ')})`,
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
    summary: `${t.wanted}, from ${t.source === 'tool cache' ? 'the runner’s tool cache' : 'the chain'}`,
    header: ['Wanted', 'Installed', 'Source', 'Time'],
    rows: [[t.wanted, t.installed, t.source === 'tool cache' ? 'the runner’s tool cache' : 'fetched through the chain, now in the tool cache', formatDuration(t.durationMs)]],
    notes: [`go.mod asks for ${t.wanted}: go finds it on PATH under that name, in this step and later ones, and fetches nothing.`]
  }
}

function buildCacheSection(b: BuildRestoreReport, save: string | undefined): Section {
  const restore = b.hit ? '✅ hit' : restoreWords(b)
  return {
    heading: 'Build cache',
    summary: `restore ${restore}; save ${save ?? '—'}`,
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

function verifyNotes(v: VerifyReport): Text[] {
  return [
    ...v.discarded.map(d => ['⚠️ discarded: ', quoted(d.module), ' ', quoted(d.version), `, ${d.why}; fetched again.`]),
    ...(v.repaired > 0 ? [`.ziphash rewritten for ${counted(v.repaired, 'zip')} that matched go.sum (it was missing or wrong).`] : [])
  ]
}

function fetchSections(f: FetchReport): Section[] {
  const totals: Section = {
    heading: 'Fetch',
    summary: `${f.files} of ${f.planned} files, ${formatSize(f.bytes)} in ${formatDuration(f.durationMs)}; ${f.hedges} hedges, ${f.rejected} rejected`,
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
      ...(f.extracted > 0 ? [`${f.extracted === 1 ? 'One' : f.extracted} of the zips ${f.extracted === 1 ? 'was' : 'were'} extracted as ${f.extracted === 1 ? 'it was' : 'they were'} verified, so go did not extract ${f.extracted === 1 ? 'it' : 'them'} again.`] : []),
      ...(f.stopped ? [`The speculative fetch stopped early: ${f.stopped}; go fetched the rest.`] : []),
      ...(f.unresolved ? [`${f.unresolved} go.mod files could not be read for the plan; go fetched around them itself.`] : [])
    ]
  }
  const moved = f.candidates.filter(c => c.moved).map(c => c.candidate.display)
  const perCandidate: Section = {
    heading: 'Fetch, by candidate',
    summary: moved.length === 0 ? 'none moved behind' : `moved behind: ${moved.join(', ')}`,
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

