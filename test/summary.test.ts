import { describe, expect, it } from 'vitest'
import { parseCandidates } from '../src/go/goproxy.ts'
import type { ProbeResult } from '../src/probe/probe.ts'
import type { AttemptRecord } from '../src/download/retry.ts'
import { describeFailure } from '../src/download/failure.ts'
import type { RunFacts } from '../src/report/facts.ts'
import { renderSummary } from '../src/report/job-summary.ts'
import { buildSummary } from '../src/report/summary.ts'

const [stalling, good, direct] = parseCandidates('https://ci:t0k@stall.example.com,https://good.example.com,direct')
const probes: ProbeResult[] = [
  { candidate: stalling!, verdict: 'healthy', latencyMs: 12, reason: 'served example.com/a@v1.0.0 .mod' },
  { candidate: good!, verdict: 'healthy', latencyMs: 30, reason: 'served example.com/a@v1.0.0 .mod' },
  { candidate: direct!, verdict: 'not probed', reason: 'direct is used as given' }
]
const attempts: AttemptRecord[] = [
  { number: 1, first: stalling!.display, reason: 'stall', detail: 'waiting on https://stall.example.com/a/@v/v1.0.0.zip', durationMs: 61_200, zips: 4 },
  { number: 2, first: good!.display, reason: 'ok', detail: '', durationMs: 3400, zips: 10 }
]
const facts: RunFacts = {
  ok: true,
  probes,
  chosen: good!.display,
  exported: 'https://good.example.com|https://***@stall.example.com|direct',
  cacheKey: 'go-mod-download-linux-amd64-downloads-abc',
  restore: { state: 'partial', matchedKey: 'go-mod-download-linux-amd64-downloads-old', durationMs: 2100, bytes: 50 << 20 },
  verify: { zips: 12, trees: 0, mods: 20, discarded: [{ module: 'example.com/m', version: 'v1.2.3', why: 'zip does not match go.sum' }], repaired: 2, durationMs: 800 },
  save: { state: 'saved', why: 'saved', durationMs: 5200, bytes: 60 << 20 },
  attempts,
  durationMs: 70_100
}

describe('buildSummary', () => {
  const model = buildSummary(facts)

  it('heads with the story on one line: the modules, the chosen proxy, what was moved behind and why, the time and the data', () => {
    expect(model.title).toBe(
      '✅ Go modules ready: 14 downloaded through https://good.example.com in 1m10s, 50.0 MiB from the cache; moved behind: https://***@stall.example.com (attempt 1 ended in stall)'
    )
  })

  it('says why an attempt’s first in line is not the chosen proxy, next to the Attempts table', () => {
    expect(model.sections.find(s => s.heading === 'Attempts')?.notes).toEqual([
      "Attempt 1's first in line, https://***@stall.example.com, is not the proxy that served: go gave up on that attempt (stall), and the next one started with the candidate behind it."
    ])
  })

  it('has one row per candidate, attempt, and the cache', () => {
    const section = (heading: string) => model.sections.find(s => s.heading === heading)?.rows
    expect(section('Proxies')).toEqual([
      ['https://***@stall.example.com', '✅ healthy', '12ms', 'served example.com/a@v1.0.0 .mod'],
      ['https://good.example.com', '✅ healthy', '30ms', 'served example.com/a@v1.0.0 .mod'],
      ['direct', '➖ not probed', '', 'direct is used as given']
    ])
    expect(section('Attempts')).toEqual([
      ['1', 'https://***@stall.example.com', '❌ stall', '1m01s', { quoted: 'waiting on https://stall.example.com/a/@v/v1.0.0.zip' }],
      ['2', 'https://good.example.com', '✅ ok', '3.4s', 'completed']
    ])
    expect(section('Cache')).toEqual([
      [
        '🟡 partial (restored by prefix), 50.0 MiB, 2.1s',
        '12 zips, 0 extracted trees, 20 go.mod files in 800ms: 1 discarded',
        'go-mod-download-linux-amd64-downloads-abc',
        { quoted: 'go-mod-download-linux-amd64-downloads-old' },
        'saved, 60.0 MiB, 5.2s'
      ]
    ])
    expect(model.sections.find(s => s.heading === 'Cache')?.notes).toEqual([
      ['⚠️ discarded: ', { quoted: 'example.com/m' }, ' ', { quoted: 'v1.2.3' }, ', zip does not match go.sum; fetched again.'],
      '.ziphash rewritten for 2 zips that matched go.sum (it was missing or wrong).'
    ])
    expect(section('Result')).toEqual([['https://good.example.com', facts.exported, '14', '2']])
  })
})

describe('renderSummary', () => {
  it('renders markdown tables, escaping the | of a GOPROXY inside a cell', () => {
    const markdown = renderSummary(buildSummary(facts))
    expect(markdown).toContain('| https://good.example.com | https://good.example.com\\|https://\\*\\*\\*@stall.example.com\\|direct | 14 | 2 |')
    expect(markdown).toContain('| Attempt | First in line | Outcome | Duration | Why it ended |\n| --- | --- | --- | --- | --- |')
    expect(markdown).not.toContain('t0k')
  })

  it('shows the headline, then the Proxies table open; every other section folded under its summary line', () => {
    const markdown = renderSummary(buildSummary(facts))
    const blocks = markdown.trimEnd().split('\n\n')
    expect(blocks[0]).toBe(
      '### ✅ Go modules ready: 14 downloaded through https://good.example.com in 1m10s, 50.0 MiB from the cache; moved behind: https://\\*\\*\\*@stall.example.com (attempt 1 ended in stall)'
    )
    expect(blocks.slice(1, 3)).toEqual(['#### Proxies', expect.stringMatching(/^\| Candidate \| Verdict \| Latency \| Reason \|\n/)])
    // Nothing else is open: every other table sits between a <details> and its </details>.
    const rest = blocks.slice(3)
    expect(rest.filter(b => b.startsWith('#'))).toEqual([])
    expect(rest.filter(b => b.startsWith('<details>'))).toEqual([
      '<details><summary>Result: 14 modules in 2 attempts, GOPROXY exported for later steps</summary>',
      '<details><summary>Attempts: stall in 1m01s, then ok in 3.4s; a first in line was moved behind (why is under the table)</summary>',
      '<details><summary>Cache: restore 🟡 partial (restored by prefix); saved, 60.0 MiB, 5.2s</summary>'
    ])
    expect(rest.filter(b => b === '</details>')).toHaveLength(3)
    let open = false
    for (const block of rest) {
      if (block.startsWith('<details>')) open = true
      else if (block === '</details>') open = false
      else expect(open, block).toBe(true)
    }
    // The reason for the first in line sits under the Attempts table.
    expect(markdown).toMatch(/\| 1 \| https:\/\/\\\*\\\*\\\*@stall\.example\.com \| ❌ stall \|.*\n\| 2 .*\n\n> Attempt 1's first in line, https:\/\/\\\*\\\*\\\*@stall\.example\.com, is not the proxy that served: go gave up/)
  })

  it('puts module paths and versions in code spans, so that GitHub links none of them as an e-mail address', () => {
    const markdown = renderSummary(buildSummary(facts))
    expect(markdown).toContain('| served `example.com/a@v1.0.0` .mod |')
    expect(markdown).toContain('> ⚠️ discarded: `example.com/m` `v1.2.3`, zip does not match go.sum; fetched again.')
    // Outside code spans, no module@version is left for an autolink.
    expect(markdown.replace(/`[^`]*`/g, '')).not.toMatch(/@v\d/)
  })

  it('shows the failure first, and says when a table has no rows', () => {
    const markdown = renderSummary(buildSummary({ ok: false, failure: 'go mod download failed after 0 attempts.', probes: [], restore: { state: 'disabled' }, attempts: [] }))
    expect(markdown.indexOf('```text\ngo mod download failed')).toBeLessThan(markdown.indexOf('#### Proxies'))
    expect(markdown).toContain('#### Proxies\n\n_None._')
    expect(markdown).toContain('<details><summary>Attempts: none</summary>\n\n_None._\n\n</details>')
  })
})

describe('describeFailure', () => {
  it('names each candidate with its probe verdict and how its attempts ended', () => {
    const text = describeFailure(probes.slice(0, 2), [attempts[0]!, { ...attempts[1]!, reason: 'network', detail: 'go: 503 Service Unavailable' }])
    expect(text.split('\n')).toEqual([
      'go mod download failed after 2 attempts.',
      '- https://***@stall.example.com: healthy, served example.com/a@v1.0.0 .mod; attempt 1: stall (waiting on https://stall.example.com/a/@v/v1.0.0.zip)',
      '- https://good.example.com: healthy, served example.com/a@v1.0.0 .mod; attempt 2: network (go: 503 Service Unavailable)',
      'Last error: network: go: 503 Service Unavailable'
    ])
  })
})

describe('probe failures go may not share', () => {
  it('shows the route, and says how to fix a TLS or forward-proxy failure', () => {
    const [tls, viaProxy, silent] = parseCandidates('https://tls.example.com,https://behind.example.com,https://silent.example.com')
    const model = buildSummary({
      ok: false,
      restore: { state: 'disabled' },
      attempts: [],
      trust: ['SSL_CERT_FILE=/etc/corp/ca.pem'],
      probes: [
        { candidate: tls!, verdict: 'unhealthy', reason: 'self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN)', failure: 'tls' },
        { candidate: viaProxy!, verdict: 'unhealthy', reason: 'forward proxy http://proxy.example.com:3128 (HTTPS_PROXY) answered 407', failure: 'proxy', via: 'HTTPS_PROXY http://proxy.example.com:3128' },
        { candidate: silent!, verdict: 'unhealthy', reason: 'no complete answer within 5.0s', failure: 'silent' }
      ]
    })
    const proxies = model.sections.find(s => s.heading === 'Proxies')!
    // An error's words may quote the server: in a code span.
    expect(proxies.rows[1]?.[3]).toEqual([{ quoted: 'forward proxy http://proxy.example.com:3128 (HTTPS_PROXY) answered 407' }, ', through HTTPS_PROXY http://proxy.example.com:3128'])
    const markdown = renderSummary(model)
    expect(markdown).toMatch(/> ⚠️ https:\/\/tls\.example\.com failed on TLS: `self-signed [^`]*`\. The action trusts what go trusts on this runner \(SSL_CERT_FILE=\/etc\/corp\/ca\.pem\)/)
    expect(markdown).toMatch(/> ⚠️ https:\/\/behind\.example\.com failed at the forward proxy: `.*`\. .*HTTP_PROXY, HTTPS_PROXY, NO_PROXY/)
  })
})
