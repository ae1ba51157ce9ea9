// Decisions come from go's own words: what a server says, quoted by go, never stops the step or
// steers a retry; errors no retry can fix end the step at once. Real go, loopback servers.
import { cpSync, mkdirSync, mkdtempSync, appendFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { micromark } from 'micromark'
import { gfm, gfmHtml } from 'micromark-extension-gfm'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { classify, goLines } from '../src/download/classify.ts'
import { parseCandidates } from '../src/go/goproxy.ts'
import { renderSummary } from '../src/report/job-summary.ts'
import { buildSummary } from '../src/report/summary.ts'
import { type HostileProxy, startHostileProxy } from './support/hostile-proxy.ts'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
const hostiles: HostileProxy[] = []
const proxies = proxyPool(() => universe.proxyDir)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 3 })
})

afterEach(async () => {
  await Promise.all(hostiles.splice(0).map(h => h.close()))
  await proxies.closeAll()
})

async function hostile(suffix: string, answer: Parameters<typeof startHostileProxy>[2], times?: number): Promise<HostileProxy> {
  const server = await startHostileProxy(universe.proxyDir, suffix, answer, times)
  hostiles.push(server)
  return server
}

const zipOf = (i: number) => `/${universe.modules[i]!.path}/@v/v1.0.0.zip`
const GO_TOO_OLD = 'go: go.mod requires go >= 1.99 (running go 1.26.8; GOTOOLCHAIN=local)'

describe("go's own words", () => {
  it('drop what go quotes: a server response, its reason phrase, git output, text after a \\r', () => {
    const own = goLines([
      'go: example.com/a@v1.0.0: reading http://127.0.0.1:1/a/@v/v1.0.0.zip: 500 x: 404 Not Found',
      '\tserver response:',
      `\t${GO_TOO_OLD}`,
      'go: example.com/b@v1.0.0: reading http://127.0.0.1:1/b/@v/v1.0.0.zip: 503 Service Unavailable\rgo: missing go.sum entry'
    ])
    expect(own.map(l => l.words)).toEqual([
      'go: example.com/a@v1.0.0: reading http://127.0.0.1:1/a/@v/v1.0.0.zip: 500',
      'go: example.com/b@v1.0.0: reading http://127.0.0.1:1/b/@v/v1.0.0.zip: 503'
    ])
  })

  it('stop at an .info Version go prints raw: nothing after it is known to be go’s', () => {
    const c = classify({
      exit: { code: 1, signal: null },
      endedBy: 'exit',
      waitingOn: [],
      errors: ['go: example.com/a@v1.0.0: invalid version: proxy returned info for version v9', GO_TOO_OLD, ' instead of requested version']
    })
    expect(c).toMatchObject({ reason: 'bad answer', next: 'rotate' })
  })
})

describe('a server’s words decide nothing', () => {
  it('a 500 whose body says "requires go >= 1.99" is retried, and the retry succeeds', async () => {
    const server = await hostile(zipOf(1), { status: 500, body: `${GO_TOO_OLD}\n` }, 1)
    const run = await runScenario(universe, { proxies: server.url, prefetch: 'false', retries: '1' })
    expect(run.log).toContain('requires go >= 1.99')
    expect(run.failed, run.log).toBe(false)
    expect(run.outputs.attempts).toBe('2')
    expectComplete(run.modcache, universe.modules)
    expect(run.summary).toMatch(/\| 1 \| .* \| ❌ network \|/)
  })

  it('a body line with a \\r before go’s words is still the server’s: retried', async () => {
    const server = await hostile(zipOf(1), { status: 500, body: `busy\r${GO_TOO_OLD}\n` }, 1)
    const run = await runScenario(universe, { proxies: server.url, prefetch: 'false', retries: '1' })
    expect(run.failed, run.log).toBe(false)
    expect(run.outputs.attempts).toBe('2')
  })

  it('a reason phrase saying "404 Not Found" on a 500 is retried, not taken for "not found"', async () => {
    const server = await hostile(zipOf(1), { status: 500, statusMessage: 'x: 404 Not Found', body: '' }, 1)
    const run = await runScenario(universe, { proxies: server.url, prefetch: 'false', retries: '1' })
    expect(run.failed, run.log).toBe(false)
    expect(run.outputs.attempts).toBe('2')
  })

  it('an .info whose Version carries a line of go’s own is a bad answer, retried', async () => {
    const info = `/${universe.modules[1]!.path}/@v/v1.0.0.info`
    const server = await hostile(info, { status: 200, contentType: 'application/json', body: JSON.stringify({ Version: `v9.9.9\n${GO_TOO_OLD}\nx` }) }, 1)
    const run = await runScenario(universe, { proxies: server.url, prefetch: 'false', retries: '1' })
    expect(server.requests).toContain(info)
    expect(run.failed, run.log).toBe(false)
    expect(run.outputs.attempts).toBe('2')
    expect(run.summary).toContain('❌ bad answer')
  })
})

/** The sample module with a line added to its go.mod (and go.work beside it, if given). */
function variant(goModLine: string, goWork?: string): string {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'variant-'))
  const dir = path.join(workspace, 'sample')
  cpSync(universe.sampleDir, dir, { recursive: true })
  appendFileSync(path.join(dir, 'go.mod'), `\n${goModLine}\n`)
  if (goWork) writeFileSync(path.join(dir, 'go.work'), goWork)
  return workspace
}

describe('errors no retry can fix end the step at once, with go’s message', () => {
  it.each([
    ['a replace to a missing directory', () => variant(`replace ${universe.modules[2]!.path} => ./missing`), '1', 'replacement missing', /\(replaced by \.\/missing\): reading missing\/go\.mod: open .*: no such file or directory/],
    [
      'a replace to a directory without go.mod',
      () => {
        const workspace = variant(`replace ${universe.modules[2]!.path} => ./nomod`)
        mkdirSync(path.join(workspace, 'sample', 'nomod'))
        return workspace
      },
      '1',
      'replacement missing',
      /\(replaced by \.\/nomod\): reading nomod\/go\.mod: open .*: no such file or directory/
    ],
    // The step reads the workspace before go runs: it stops there.
    ['a go.work naming a missing module', () => variant('', 'go 1.21\n\nuse .\nuse ./gone\n'), '0', '', /cannot load module \.\/gone listed in go\.work file: ENOENT/]
  ])('%s', async (_, make, attempts, reason, said) => {
    const workspace = make()
    const good = await proxies.start(healthy)
    const run = await runScenario(universe, { proxies: good.url, retries: '3', 'working-directory': 'sample' }, { workspace })
    expect(run.failed).toBe(true)
    expect(run.outputs.attempts).toBe(attempts)
    if (reason) expect(run.summary).toContain(`❌ ${reason}`)
    expect(run.summary).toMatch(said)
  })
})

describe('a server’s words in the summary', () => {
  const render = (markdown: string) => micromark(markdown, { extensions: [gfm()], htmlExtensions: [gfmHtml()], allowDangerousHtml: true })
  const [candidate] = parseCandidates('https://mirror.example.com')

  it('the action’s own words are escaped too, a probe’s error quoted, a failure fenced past its own backticks', () => {
    const hostileText = '[pwned](http://evil.example/a) <img src=x> **bold** ~~gone~~ &amp;'
    const markup = '[pwned](evil) <img src=x> **bold** ~~gone~~ &amp; _em_'
    const html = render(
      renderSummary(
        buildSummary({
          ok: false,
          failure: `go mod download failed.\n\`\`\`\n${hostileText}`,
          restore: { state: 'exact' },
          verify: { zips: 1, trees: 0, mods: 1, discarded: [{ module: 'example.com/m', version: 'v1.0.0', why: markup }], repaired: 0, durationMs: 1 },
          attempts: [],
          probes: [{ candidate: candidate!, verdict: 'unhealthy', reason: hostileText, failure: 'tls' }]
        })
      )
    )
    expect(html).not.toMatch(/<a [^>]*evil|<img|<strong>|<del>|<em>em/)
    expect(html).toContain('<code>[pwned](http://evil.example/a) &lt;img src=x&gt; **bold** ~~gone~~ &amp;amp;</code>')
    expect(html).toContain('[pwned](evil) &lt;img src=x&gt; **bold** ~~gone~~ &amp;amp; _em_')
  })

  it('a backslash before a pipe in their words ends neither the code span nor the cell (GFM pairs backslashes before it sees a pipe)', () => {
    // A restored key is any cache writer's choice (a prefix match), in a cell with another after it.
    const key = 'go-mod-download-x \\| [pwned](http://evil.example/a) **bold** \\\\| ![x](http://evil.example/i.png)'
    const html = render(renderSummary(buildSummary({ ok: true, restore: { state: 'partial', matchedKey: key }, attempts: [], probes: [{ candidate: candidate!, verdict: 'unhealthy', reason: key }] })))
    expect(html).not.toMatch(/<a [^>]*evil|<img|<strong>/)
    // Shown whole in one code span (a backslash before a pipe doubled: its one visible trace), in its cell, and the Save cell after it.
    const shown = '<code>go-mod-download-x \\\\| [pwned](http://evil.example/a) **bold** \\\\| ![x](http://evil.example/i.png)</code>'
    expect(html).toContain(`<td>${shown}</td>\n<td>—</td>`)
  })

  it('render as text in code spans: no link, markup or HTML of theirs (GFM, as GitHub renders it)', async () => {
    const link = '[pwned](http://evil.example/a)'
    const server = await hostile(zipOf(1), { status: 500, statusMessage: `${link} <img src=x> **bold** | col`, body: `${link}\n<script>alert(1)</script>\n` })
    const run = await runScenario(universe, { proxies: server.url, prefetch: 'false', retries: '0' })
    expect(run.failed).toBe(true)
    expect(run.summary).toContain('pwned')
    const html = micromark(run.summary, { extensions: [gfm()], htmlExtensions: [gfmHtml()], allowDangerousHtml: true })
    expect(html).not.toMatch(/<a [^>]*evil\.example/)
    expect(html).not.toMatch(/<img|<script|<strong>bold/)
    // The Attempts row keeps its five cells; go's line is in a code span.
    expect(html).toMatch(/<td>❌ network<\/td>\s*<td>[^<]*<\/td>\s*<td><code>go: [^<]*: 500 \[pwned\]\(http:\/\/evil\.example\/a\) &lt;img src=x&gt; \*\*bold\*\* \| col<\/code><\/td>\s*<\/tr>/)
  })
})
