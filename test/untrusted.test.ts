// Text from outside never becomes a workflow command: what go quotes from a server, read the way
// the runner reads a step's output (test/support/runner-commands.ts). Real go, loopback servers.
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeReport } from '../src/action/outputs.ts'
import { cacheLogLine, inert, oneLine, visible } from '../src/util/untrusted.ts'
import { type ActionRun, processesWithEnv, runPostBundled } from './support/action.ts'
import { type HostileProxy, startHostileProxy } from './support/hostile-proxy.ts'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { readAsRunner } from './support/runner-commands.ts'
import { loopbackCertificate } from './support/tls.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

/** Lines a server would have go print, each a command to the runner as it stands. */
const HOSTILE_LINES = [
  '::save-state name=later-steps::{"pid":1,"statsFile":"/tmp/victim/stats.json"}',
  '::stop-commands::pwned',
  '  ::set-output name=proxy::http://evil.example',
  '\t::add-mask::go',
  '\u0085::set-output name=goproxy::nel',
  '\u00a0\u3000::warning::nbsp',
  'text before ##[set-output name=attempts]99',
  '##[save-state name=legacy]x',
  '::SAVE-STATE name=upper::x',
  '::error file=a.go,line=1::forged'
]

describe('inert', () => {
  it('each hostile line is a command to the runner as it stands, and none once defused', () => {
    for (const line of HOSTILE_LINES) {
      expect(readAsRunner(line).commands.length, line).toBe(1)
      const view = readAsRunner(inert(line))
      expect(view.commands, line).toEqual([])
      expect(view.shown.join('\n')).toContain('\\')
    }
  })

  it('a \\r inside a line starts a line of its own for the runner: defused too', () => {
    const text = 'x\r::save-state name=a::b\r\n::stop-commands::t\n\tok'
    expect(readAsRunner(text).commands.length).toBe(2)
    expect(readAsRunner(inert(text)).commands).toEqual([])
    expect(readAsRunner(inert(text)).shown).toEqual(['x', '::\\save-state name=a::b', '::\\stop-commands::t', '\tok'])
  })

  it('leaves ordinary text as it was', () => {
    const text = 'go: example.com/a@v1.0.0: reading http://127.0.0.1:1/a/@v/v1.0.0.zip: 500 Internal Server Error\n\tserver response: a::b'
    expect(inert(text)).toBe(text)
  })

  it('defuses a line whatever white space or format characters stand before its ::, and no line without them', () => {
    // Spaces, tabs, NEL, no-break and ideographic spaces (.NET trims them), and format characters (a
    // zero-width space, a BOM, a left-to-right mark) that a reader does not see and the runner might skip.
    for (const lead of [' ', '  \t ', '\u0085', '\u00a0\u3000', '\u2028', '\u200b', '\ufeff', '\u200e', '\u200b \u200e\u00a0']) {
      expect(inert(`${lead}::set-output name=a::b`), JSON.stringify(lead)).toBe(`${lead}::\\set-output name=a::b`)
    }
    // Anything else before the :: makes no command: left as it is.
    for (const line of ['a::b', 'x ::set-output name=a::b', 'go: x@v1.0.0: 404::y', '.::save-state name=a::b', '\u200bx::y']) {
      expect(readAsRunner(line).commands, line).toEqual([])
      expect(inert(line)).toBe(line)
    }
  })

  it('defuses every ##[ of a line, wherever it stands, and the line’s leading :: too', () => {
    expect(inert('##[a]##[b] and ##[c]')).toBe('##[\\a]##[\\b] and ##[\\c]')
    expect(inert(' ::warning::see ##[error]x')).toBe(' ::\\warning::see ##[\\error]x')
    expect(inert('#[x] ## [y] #[#[z]')).toBe('#[x] ## [y] #[#[z]')
  })

  it("passes on @actions/cache's own commands as core writes them: a name, properties without a colon, data to the end of the line", () => {
    for (const line of ['::debug::x', '::notice::', '::error file=a.go,line=1,title=t::Failed to restore: x', '::warning title=a b::c::d', '::add-mask::%0D%0Ax']) {
      expect(cacheLogLine(line), line).toBe(line)
    }
    // Each of these is something else, or not all of it is a command: defused.
    const defused: [string, string][] = [
      ['  ::warning::indented', '  ::\\warning::indented'],
      ['##[set-output name=a]x ::warning::y', '##[\\set-output name=a]x ::warning::y'],
      ['::warning file=C:/a::x', '::\\warning file=C:/a::x'],
      ['::group::x', '::\\group::x'],
      ['::Warning::x', '::\\Warning::x'],
      ['::warning::a\r::save-state name=b::c', '::\\warning::a\n::\\save-state name=b::c'],
      ['::warning::a\n##[save-state name=b]c', '::\\warning::a\n##[\\save-state name=b]c']
    ]
    for (const [line, expected] of defused) expect(cacheLogLine(line), JSON.stringify(line)).toBe(expected)
  })

  it("passes on @actions/cache's own masks and annotations from a cache process, and defuses the rest", () => {
    for (const line of ['::add-mask::sig123', '::debug::Resolved Keys:', '::warning::Failed to save: Cache service responded with 500', '::error::Failed to restore: x']) {
      expect(cacheLogLine(line)).toBe(line)
    }
    for (const line of ['::save-state name=later-steps::{}', '::stop-commands::x', 'Cache hit for: key\r::set-output name=cache-hit::true', '::warning::x\r::save-state name=a::b', '##[add-mask]x']) {
      expect(readAsRunner(cacheLogLine(line)).commands, line).toEqual([])
    }
  })
})

describe('visible', () => {
  it('shows C0 controls but tab and newline, DEL and C1 controls as \\x escapes, and nothing else', () => {
    expect(visible('red \u001b[31mX\u001b[0m\u0007 bell')).toBe('red \\x1b[31mX\\x1b[0m\\x07 bell')
    expect(visible('\u0000\u0008\t\n\u000b\r\u001f\u007f\u0080\u009b\u009f')).toBe('\\x00\\x08\t\n\\x0b\\x0d\\x1f\\x7f\\x80\\x9b\\x9f')
    const shown = ' ~\u00a0é€\u200b𝄞 go: x@v1.0.0 "quoted" \\x41'
    expect(visible(shown)).toBe(shown)
    expect(visible('')).toBe('')
  })
})

describe('oneLine', () => {
  it('shows every line break (the separators go lets through too) and control character as an escape, and defuses what the runner would take for a command', () => {
    expect(oneLine('v1.0.0\n::error title=x::pwned')).toBe('v1.0.0\\x0a::error title=x::pwned')
    expect(oneLine('a\r\nb\u2028c\u2029d\u0085e')).toBe('a\\x0d\\x0ab\\u2028c\\u2029d\\x85e')
    expect(oneLine('::warning::at the start, ##[error]inside')).toBe('::\\warning::at the start, ##[\\error]inside')
    expect(oneLine('\t::notice::after a tab')).toBe('\t::\\notice::after a tab')
    const shown = 'zip: example.com/m@v1.0.0/a.go: "quoted" é€𝄞'
    expect(oneLine(shown)).toBe(shown)
  })
})

let universe: Universe
let hostile: HostileProxy | undefined
const started: { main: ActionRun; modcache: string }[] = []

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 3 })
})

afterEach(async () => {
  await hostile?.close()
  hostile = undefined
  for (const { main, modcache } of started.splice(0)) {
    await runPostBundled(main, path.dirname(universe.sampleDir), {})
    expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
  }
})

afterAll(async () => {
  await hostile?.close()
  await proxies.closeAll()
})

const proxies = proxyPool(() => universe.proxyDir)

/** A 500 whose body go quotes, every line of it a command to the runner if echoed as it is. */
const hostileBody = (victimDir: string) =>
  [
    `::save-state name=later-steps::{"pid":1,"statsFile":"${victimDir}/stats.json"}`,
    '::stop-commands::pwned',
    '##[set-output name=proxy]http://evil.example',
    '\u0085::set-output name=goproxy::evil',
    'x\r::save-state name=second::evil',
    ''
  ].join('\n')

describe("go's output, quoting a server, in the step's log", () => {
  it('a 500 body full of workflow commands issues none of them; the step’s own commands all work after it', async () => {
    const zip = `/${universe.modules[1]!.path}/@v/v1.0.0.zip`
    hostile = await startHostileProxy(universe.proxyDir, zip, { status: 500, body: hostileBody('/tmp/victim') }, 1)
    const run = await runScenario(universe, { proxies: hostile.url, prefetch: 'false', retries: '1', 'protect-later-steps': 'true' })
    started.push({ main: run, modcache: run.modcache })
    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    // go did quote the body (its first attempt failed on it).
    expect(run.log).toContain('stop-commands')
    expect(run.log).toContain('server response:')

    const view = readAsRunner(run.log)
    const names = view.commands.map(c => c.name)
    expect(names).not.toContain('stop-commands')
    expect(names).not.toContain('save-state')
    expect(names).not.toContain('set-output')
    expect(view.state).toEqual({})
    // After go's quoted body: the attempt's warning, and the mask of the job proxy's secret.
    expect(view.commands.filter(c => c.name === 'warning').map(c => c.data).join('\n')).toMatch(/Attempt 1 .*network/)
    expect(names).toContain('add-mask')
    expect(view.shown.filter(l => l.includes(run.exported.GOPROXY!.split('|')[0]!.split('/').pop()!))).toEqual([])
  })

  it('a failed step: the error annotation still works after the quoted body, and no state reaches the post step', async () => {
    const zip = `/${universe.modules[1]!.path}/@v/v1.0.0.zip`
    hostile = await startHostileProxy(universe.proxyDir, zip, { status: 500, body: hostileBody('/tmp/victim') })
    const run = await runScenario(universe, { proxies: hostile.url, prefetch: 'false', retries: '0', 'protect-later-steps': 'true' })
    expect(run.failed).toBe(true)
    const view = readAsRunner(run.log)
    expect(view.state).toEqual({})
    expect(view.commands.filter(c => c.name === 'error').map(c => c.data).join('\n')).toMatch(/go mod download failed after 1 attempt/)
  })
})

describe('other text from outside in the log', () => {
  it('a probe’s reason quoting a redirect’s Location (an https candidate sending the probe to plain http) issues no command', async () => {
    const cert = loopbackCertificate()
    const redirector = https.createServer(cert, (_, response) => {
      response.writeHead(302, { location: 'http://127.0.0.1:1/x##[stop-commands]pwned' })
      response.end()
    })
    await new Promise<void>(resolve => redirector.listen(0, '127.0.0.1', resolve))
    try {
      const good = await proxies.start(healthy)
      const url = `https://127.0.0.1:${(redirector.address() as AddressInfo).port}`
      const run = await runScenario(universe, { proxies: `${url},${good.url}` }, { env: { SSL_CERT_FILE: cert.certFile } })
      expect(run.failed, run.log).toBe(false)
      expect(run.log).toContain('to insecure URL http://127.0.0.1:1/x##[')
      const view = readAsRunner(run.log)
      expect(view.commands.map(c => c.name)).not.toContain('stop-commands')
      expect(view.commands.map(c => c.name)).toContain('warning')
    } finally {
      redirector.closeAllConnections()
      await new Promise(resolve => redirector.close(resolve))
    }
  })

  it('the summary printed to the log (no summary file) issues no command', async () => {
    const saved = process.env.GITHUB_STEP_SUMMARY
    delete process.env.GITHUB_STEP_SUMMARY
    const chunks: string[] = []
    const write = process.stdout.write
    process.stdout.write = ((chunk: string | Uint8Array) => chunks.push(String(chunk)) > 0) as typeof process.stdout.write
    try {
      await writeReport({ ok: false, failure: 'go said:\n::save-state name=later-steps::{}\n##[stop-commands]pwned', probes: [], restore: { state: 'disabled' }, attempts: [] }, [])
    } finally {
      process.stdout.write = write
      if (saved !== undefined) process.env.GITHUB_STEP_SUMMARY = saved
    }
    const view = readAsRunner(chunks.join(''))
    expect(view.shown.join('\n')).toContain('save-state name=later-steps')
    expect(view.commands.filter(c => c.name !== 'set-output')).toEqual([])
    expect(view.state).toEqual({})
  })
})
