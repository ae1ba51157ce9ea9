// The job summary as a person reads it, whole: every section the model can hold, rendered to
// markdown and compared with the files under test/summaries/ (review a change there as the
// change a user will see). Then the words for each verdict and cache state, one by one.
import { describe, expect, it } from 'vitest'
import { emptyStats } from '../src/fetch/stats.ts'
import { parseCandidates } from '../src/go/goproxy.ts'
import type { ProbeResult } from '../src/probe/probe.ts'
import { describeVerify } from '../src/cache/verify-words.ts'
import { describeFailure } from '../src/download/failure.ts'
import type { RunFacts } from '../src/report/facts.ts'
import { renderSummary } from '../src/report/job-summary.ts'
import { buildSummary } from '../src/report/summary.ts'
import { formatSize } from '../src/util/size.ts'
import { counted } from '../src/util/plural.ts'

const [mirror, tamperer, slow, direct] = parseCandidates('https://ci:t0k@mirror.example.com,https://tamper.example.com,https://slow.example.com,direct')

const probes: ProbeResult[] = [
  { candidate: mirror!, verdict: 'healthy', latencyMs: 21, reason: 'served example.com/a@v1.0.0 .mod' },
  { candidate: tamperer!, verdict: 'healthy', latencyMs: 1450, reason: 'served example.com/a@v1.0.0 .mod' },
  { candidate: slow!, verdict: 'slow', reason: 'no answer within 500ms, while https://ci:***@mirror.example.com answered in 21ms', failure: 'silent' },
  { candidate: direct!, verdict: 'not probed', reason: 'direct is used as given' }
]

/** A run that used every part the summary reports on. */
const everything: RunFacts = {
  ok: true,
  durationMs: 14_300,
  probes,
  probeNote: 'Probed with example.com/a@v1.0.0/go.mod.',
  chosen: mirror!.display,
  exported: `http://127.0.0.1:40123/***|${mirror!.display}|direct|${tamperer!.display}`,
  laterSteps: 'Later steps reach the action’s proxy first.',
  cacheKey: 'go-mod-download-linux-amd64-downloads-0123abcd',
  restore: { state: 'partial', matchedKey: 'go-mod-download-linux-amd64-downloads-old', durationMs: 2100, bytes: 50 << 20 },
  verify: { zips: 12, trees: 3, mods: 20, discarded: [{ module: 'example.com/m', version: 'v1.2.3', why: 'zip does not match go.sum' }], repaired: 1, durationMs: 800 },
  save: { state: 'saved', why: 'saved', durationMs: 5200, bytes: 60 << 20 },
  buildCache: { state: 'miss', hit: false, warning: 'GOCACHE holds entries from another job.' },
  buildCacheSave: 'by the post step, after the job’s builds and tests',
  attempts: [
    { number: 1, first: 'toolchain', reason: 'ok', detail: '', durationMs: 900, zips: 1 },
    { number: 2, first: mirror!.display, reason: 'ok', detail: '', durationMs: 3400, zips: 2 }
  ],
  fetch: {
    planned: 30,
    plannedZips: 10,
    sumLines: 24,
    files: 29,
    zips: 9,
    extracted: 8,
    bytes: 3 << 20,
    durationMs: 1900,
    retries: 2,
    hedges: 3,
    rejected: 4,
    requests: 31,
    served: 29,
    peakLimit: 32,
    stopped: 'no file completed for 60s',
    unresolved: 1,
    candidates: [
      { candidate: mirror!, stats: { ...emptyStats(), requests: 27, bytes: 2 << 20, served: 25, failures: 1, hedgesWon: 2 } },
      { candidate: tamperer!, stats: { ...emptyStats(), requests: 8, bytes: 1 << 20, served: 4, rejected: 4, stalls: 1, hedgesLost: 1 }, moved: 'served bytes go.sum disagrees with (4×); moved behind' }
    ],
    troubled: [tamperer!]
  },
  trust: ['SSL_CERT_FILE=/etc/ssl/corp.pem'],
  toolchain: { wanted: 'go1.99.0', installed: 'go1.26.0', source: 'fetched', durationMs: 4200, goroot: '/opt/hostedtoolcache/go/1.99.0/x64' },
  sumdb: {
    route: { key: 'sum.example.com', name: 'sum.example.com', url: 'https://sum.example.com', explicit: false },
    proxiedBy: [mirror!],
    candidates: [{ candidate: mirror!, proxies: true, reason: 'proxies it' }]
  }
}

/** A run that failed before any attempt, with nothing cached. */
const nothing: RunFacts = {
  ok: false,
  failure: 'Input "timeout": "soon" is not a duration; write it like 90s, 1m30s, 10m or a number of seconds',
  probes: [],
  restore: { state: 'disabled' },
  attempts: []
}

describe('the summary, rendered whole', () => {
  it('of a run that used every part', async () => {
    await expect(renderSummary(buildSummary(everything))).toMatchFileSnapshot('summaries/everything.md')
  })

  it('of a run that failed before any attempt', async () => {
    await expect(renderSummary(buildSummary(nothing))).toMatchFileSnapshot('summaries/nothing.md')
  })

  it('of a failed download: its error first, each table as it stood', async () => {
    const failed: RunFacts = {
      ...nothing,
      failure: describeFailure(probes.slice(0, 2), [{ number: 1, first: mirror!.display, reason: 'stall', detail: '', durationMs: 61_000, zips: 0 }]),
      probes,
      restore: { state: 'timed-out', durationMs: 300_000 },
      save: { state: 'skipped', why: 'not saved: the download did not complete' },
      toolchain: { wanted: 'go1.99.0', installed: 'go1.26.0', source: 'tool cache', durationMs: 12, goroot: '/opt/hostedtoolcache/go/1.99.0/x64' },
      buildCache: { state: 'exact', hit: true, matchedKey: 'go-build-linux-amd64-go1.99.0-0123', bytes: 5 << 20, durationMs: 1500 },
      attempts: [{ number: 1, first: mirror!.display, reason: 'stall', detail: '', durationMs: 61_000, zips: 0 }]
    }
    await expect(renderSummary(buildSummary(failed))).toMatchFileSnapshot('summaries/failed.md')
  })
})

describe('the summary’s words', () => {
  const restoreCell = (restore: RunFacts['restore']) => buildSummary({ ...nothing, restore }).sections.find(s => s.heading === 'Cache')?.rows[0]?.[0]

  it.each<[RunFacts['restore']['state'], string]>([
    ['exact', '✅ hit'],
    ['partial', '🟡 partial (restored by prefix)'],
    ['miss', 'miss'],
    ['disabled', 'off'],
    ['unavailable', 'no cache service'],
    ['policy', '🔒 not read, by policy'],
    ['failed', '⚠️ restore failed'],
    ['timed-out', '⚠️ restore timed out']
  ])('a restore that was %s reads "%s"', (state, words) => {
    expect(restoreCell({ state })).toBe(words)
    expect(restoreCell({ state, bytes: 3 << 19, durationMs: 1500 })).toBe(`${words}, 1.5 MiB, 1.5s`)
  })

  it('a job the policy keeps from writing is restore-only, or off, and never a failed save', () => {
    const cache = (facts: Partial<RunFacts>) => buildSummary({ ...nothing, ...facts }).sections.find(s => s.heading === 'Cache')!
    const readOnly = cache({ restore: { state: 'exact', matchedKey: 'k' }, save: { state: 'policy', why: 'restore-only by policy (ACTIONS_CACHE_MODE is read)' } })
    expect(readOnly.summary).toEqual(['restore ✅ hit; ', 'restore-only by policy (ACTIONS_CACHE_MODE is read)'])
    expect(readOnly.rows[0]?.[4]).toBe('restore-only by policy (ACTIONS_CACHE_MODE is read)')
    const off = cache({ restore: { state: 'policy', policy: 'ACTIONS_CACHE_MODE is none' }, save: { state: 'policy', why: 'off by policy (ACTIONS_CACHE_MODE is none)' } })
    expect(off.summary).toBe('off by policy (ACTIONS_CACHE_MODE is none): neither restored nor saved')
    expect(off.rows[0]?.[0]).toBe('🔒 not read, by policy (ACTIONS_CACHE_MODE is none)')
  })

  it.each<[ProbeResult['verdict'], string]>([
    ['healthy', '✅ healthy'],
    ['unhealthy', '❌ unhealthy'],
    ['slow', '🐢 too slow'],
    ['not probed', '➖ not probed']
  ])('a candidate judged %s reads "%s"', (verdict, words) => {
    const model = buildSummary({ ...nothing, probes: [{ candidate: mirror!, verdict, reason: 'why' }] })
    // An unhealthy candidate's reason is an error's words, which may quote its server: shown as quoted text.
    expect(model.sections.find(s => s.heading === 'Proxies')?.rows).toEqual([[mirror!.display, words, '', verdict === 'unhealthy' ? { quoted: 'why' } : 'why']])
  })

  it('sizes in MiB with one decimal, under a MiB in whole KiB rounded up, nothing for an unknown size', () => {
    expect(formatSize(undefined)).toBe('')
    expect(formatSize(0)).toBe('0 KiB')
    expect(formatSize(9000)).toBe('9 KiB')
    expect(formatSize(1023 << 10)).toBe('1023 KiB')
    expect(formatSize((1023 << 10) + 1)).toBe('1.0 MiB')
    expect(formatSize((1 << 20) - 1)).toBe('1.0 MiB')
    expect(formatSize(1 << 20)).toBe('1.0 MiB')
    expect(formatSize(1536 << 10)).toBe('1.5 MiB')
  })

  it('the check of a starting cache: all match, or how many were discarded', () => {
    expect(describeVerify({ zips: 2, trees: 1, mods: 3, discarded: [], repaired: 0, durationMs: 40 })).toBe('2 zips, 1 extracted trees, 3 go.mod files in 40ms: all match')
    const notes = (repaired: number) => buildSummary({ ...nothing, verify: { zips: 2, trees: 0, mods: 2, discarded: [], repaired, durationMs: 40 } }).sections.find(s => s.heading === 'Cache')?.notes
    expect(notes(0)).toEqual([])
    expect(notes(2)).toEqual(['.ziphash rewritten for 2 zips that matched go.sum (it was missing or wrong).'])
  })

  it('an attempt that went well with a first in line the fetch moved behind: the headline and the Attempts table say why', () => {
    const run: RunFacts = { ...everything, attempts: [{ number: 1, first: tamperer!.display, reason: 'ok', detail: '', durationMs: 900, zips: 0 }] }
    const model = buildSummary(run)
    expect(model.title).toContain('; moved behind: https://tamper.example.com (served bytes go.sum disagrees with (4×)), https://slow.example.com (too slow at the probe)')
    expect(model.sections.find(s => s.heading === 'Attempts')?.notes).toEqual([
      "Attempt 1's first in line, https://tamper.example.com, is not the proxy that served: during the fetch it served bytes go.sum disagrees with (4×), so it was moved behind and https://***@mirror.example.com served what go asked for."
    ])
    // One that served nothing, moved by nothing the run saw, is said so too; the chosen one, or a step that is not a candidate, needs no word.
    const unexplained = buildSummary({ ...run, fetch: { ...everything.fetch!, candidates: [] } }).sections.find(s => s.heading === 'Attempts')?.notes
    expect(unexplained).toEqual(["Attempt 1's first in line, https://tamper.example.com, is not the proxy that served: it served none of what go asked for, and https://***@mirror.example.com did."])
    expect(buildSummary(everything).sections.find(s => s.heading === 'Attempts')?.notes).toEqual([])
  })

  it('the headline gives a download under a MiB in KiB, so that it does not read as none', () => {
    const title = buildSummary({ ...everything, restore: { state: 'miss' }, fetch: { ...everything.fetch!, bytes: 1500 } }).title
    expect(title).toContain(' in 14.3s, 2 KiB fetched; moved behind: ')
  })

  it('the headline names three candidates moved behind and counts the rest', () => {
    const many = parseCandidates('https://a.example.com,https://b.example.com,https://c.example.com,https://d.example.com,https://e.example.com')
    const title = buildSummary({ ...everything, probes: [probes[0]!, ...many.map(candidate => ({ candidate, verdict: 'slow' as const, reason: 'no answer' }))] }).title
    expect(title).toMatch(/; moved behind: https:\/\/a\.example\.com \(too slow at the probe\), https:\/\/b\.example\.com \(too slow at the probe\), https:\/\/c\.example\.com \(too slow at the probe\), 2 more$/)
  })

  it('a failure after one attempt, or none: the count, each candidate as its probe left it, the last error', () => {
    expect(describeFailure(probes.slice(0, 1), []).split('\n')).toEqual([
      'go mod download failed after 0 attempts.',
      '- https://***@mirror.example.com: healthy, served example.com/a@v1.0.0 .mod'
    ])
    expect(describeFailure(probes.slice(0, 1), [{ number: 1, first: mirror!.display, reason: 'stall', detail: '', durationMs: 1, zips: 0 }]).split('\n')).toEqual([
      'go mod download failed after 1 attempt.',
      '- https://***@mirror.example.com: healthy, served example.com/a@v1.0.0 .mod; attempt 1: stall',
      'Last error: stall'
    ])
  })

  it('a success with no chosen proxy (nothing to download) names none', () => {
    expect(buildSummary({ ...nothing, failure: undefined, ok: true }).title).toBe('✅ Go modules ready: 0 downloaded')
  })

  it('the checksum database without the local proxy: its routes, and nothing said of relaying', () => {
    const proxies = buildSummary({ ...nothing, sumdb: everything.sumdb! }).sections.find(s => s.heading === 'Proxies')
    expect(proxies?.notes).toEqual(['Checksum database sum.example.com (asked for modules go.sum lacks): https://***@mirror.example.com proxies it.'])
  })

  it('a TLS failure names every source of trust, or says there was none', () => {
    const tls: ProbeResult = { candidate: mirror!, verdict: 'unhealthy', reason: 'unable to verify the first certificate', failure: 'tls' }
    const note = (trust?: string[]) => buildSummary({ ...nothing, probes: [tls], ...(trust ? { trust } : {}) }).sections.find(s => s.heading === 'Proxies')?.notes?.[0]
    const text = (trust?: string[]) => JSON.stringify(note(trust))
    expect(text(['SSL_CERT_FILE=/a.pem', 'the system store'])).toContain('(SSL_CERT_FILE=/a.pem, the system store)')
    expect(text()).toContain('(no certificates found)')
  })

  it('a fetch with nothing extracted, stopped or unread has no notes', () => {
    const fetch = { ...everything.fetch!, extracted: 0, unresolved: 0 }
    delete fetch.stopped
    expect(buildSummary({ ...everything, fetch }).sections.find(s => s.heading === 'Fetch')?.notes).toEqual([])
  })

  it('one zip extracted reads in the singular, as counts do', () => {
    const fetch = { ...everything.fetch!, extracted: 1, unresolved: 0 }
    delete fetch.stopped
    expect(buildSummary({ ...everything, fetch }).sections.find(s => s.heading === 'Fetch')?.notes).toEqual(['One of the zips was extracted as it was verified, so go did not extract it again.'])
    expect([counted(1, 'zip'), counted(0, 'zip'), counted(2, 'retry', 'retries'), counted(1, 'retry', 'retries')]).toEqual(['1 zip', '0 zips', '2 retries', '1 retry'])
  })

  it('a table cell keeps its row: a | is escaped, a line break becomes a space', () => {
    const markdown = renderSummary(buildSummary({ ...nothing, probes: [{ candidate: mirror!, verdict: 'unhealthy', reason: 'HTTP 502\nfrom a|b' }] }))
    expect(markdown).toContain('| ❌ unhealthy |  | `HTTP 502 from a\\|b` |')
  })

  it('a failure lists how each of a candidate’s attempts ended, those that ended alike once', () => {
    const attempt = (number: number, detail = '') => ({ number, first: mirror!.display, reason: 'stall' as const, detail, durationMs: 1, zips: 0 })
    expect(describeFailure(probes.slice(0, 1), [attempt(1), attempt(3)]).split('\n')[1]).toBe('- https://***@mirror.example.com: healthy, served example.com/a@v1.0.0 .mod; attempts 1 and 3: stall')
    expect(describeFailure(probes.slice(0, 1), [attempt(1, 'a'), attempt(2, 'b'), attempt(3, 'a'), attempt(4, 'a')]).split('\n')[1]).toBe(
      '- https://***@mirror.example.com: healthy, served example.com/a@v1.0.0 .mod; attempts 1, 3 and 4: stall (a); attempt 2: stall (b)'
    )
  })
})
