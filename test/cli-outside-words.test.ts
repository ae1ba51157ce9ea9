// The CLI's terminal shows a server's words as text: an escape sequence in them (a window title
// set, the screen cleared) reaches neither stderr nor stdout, whichever of the engine's lines quotes them.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import { terminalPort } from '../src/cli/port.ts'
import { buildSummary } from '../src/report/summary.ts'
import { renderTerminal } from '../src/report/terminal.ts'
import { runCli } from './support/cli.ts'
import { offlineGoEnv, tempModcache } from './support/go.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'cli-outside-words-')), { count: 2 })
})

const ESCAPES = 'Not\u001b]0;PWNED\u0007\u001b[2JFound'

/** A candidate that serves every file but answers each .info with a 404 whose reason phrase holds escape sequences (node's own server would refuse to send one). */
function reasonPhraseProxy(root: string): Promise<{ url: string; server: Server }> {
  const server = createServer(socket => {
    let head = ''
    socket.on('error', () => undefined)
    socket.on('data', chunk => {
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      const target = (head.split(' ')[1] ?? '/').split('?')[0] as string
      const file = path.join(root, decodeURIComponent(target))
      if (target.endsWith('.info') || !file.startsWith(root + path.sep) || !existsSync(file)) {
        socket.end(`HTTP/1.1 404 ${ESCAPES}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, 'latin1')
        return
      }
      const body = readFileSync(file)
      socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]))
    })
  })
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server })))
}

describe("a server's words on the CLI's terminal", () => {
  it("go's error line quoting a reason phrase with escape sequences: shown with them visible, in the warning and the summary", async () => {
    const { url, server } = await reasonPhraseProxy(universe.proxyDir)
    try {
      const run = await runCli(['--proxies', url, '--no-prefetch', '--probe-timeout', '2s', '--stall-timeout', '5s', '--timeout', '30s', '--retries', '0', '--verbose'], universe.sampleDir, offlineGoEnv(tempModcache()))
      expect(run.code).toBe(4)
      // go quoted the phrase, and it is shown, as text.
      expect(run.stderr).toContain('warning: Attempt 1')
      expect(run.stderr).toContain('Not\\x1b]0;PWNED\\x07\\x1b[2JFound')
      expect(run.stdout).toContain('PWNED')
      // --verbose: go's own lines quoting it are shown too, indented, as text.
      expect(run.stderr).toMatch(/\n {2}.*Not\\x1b\]0;PWNED/)
      // eslint-disable-next-line no-control-regex -- what must not be there
      expect(run.stderr + run.stdout).not.toMatch(/[\u0007\u001b]/)
    } finally {
      server.close()
    }
  }, 120_000)

  it("every line of the engine's (info, warning, group) is shown with its control characters visible; the port's own colours stay", () => {
    const out = Object.assign(new PassThrough(), { isTTY: true, columns: 80 }) as unknown as NodeJS.WriteStream & PassThrough
    let written = ''
    out.on('data', (c: Buffer) => (written += c.toString()))
    const terminal = terminalPort(out)
    terminal.info('info \u001b]0;t\u0007 \r::x')
    terminal.warning('warning \u009b2J')
    void terminal.group('group \u001b[2J', async () => undefined)
    expect(written).toBe('info \\x1b]0;t\\x07 \\x0d::x\n\u001b[33mwarning:\u001b[0m warning \\x9b2J\n\u001b[1mgroup \\x1b[2J\u001b[0m\n')
  })

  it("the summary's tables and notes: a name from the module cache (a zip entry's) in a discard's why is shown with its control characters visible", () => {
    const why = 'zip unreadable: \u001b]0;PWNED\u0007\u001b[2Jx.go is shorter than the zip says'
    const text = renderTerminal(buildSummary({ ok: true, restore: { state: 'disabled' }, attempts: [], probes: [], verify: { zips: 1, trees: 0, mods: 0, discarded: [{ module: 'example.com/m', version: 'v1.0.0', why }], repaired: 0, durationMs: 1 } }))
    expect(text).toContain('zip unreadable: \\x1b]0;PWNED\\x07\\x1b[2Jx.go is shorter')
    // eslint-disable-next-line no-control-regex -- what must not be there
    expect(text).not.toMatch(/[\u0007\u001b]/)
  })
})
