// The CLI's front door: the command line read (args.ts), the engine's port on the terminal
// (port.ts), then `download` (one run of the engine, its report as a table or one JSON document
// on stdout) or `serve` (the job's proxy in the foreground). Returns the exit code USAGE lists.
import net from 'node:net'
import { isLoopbackHost } from '../net/proxy-env.ts'
import { maskSecrets } from '../util/credentials.ts'
import { parseDuration } from '../util/duration.ts'
import { usePort } from '../engine/port.ts'
import { run, type RunResult } from '../engine/run.ts'
import { serve } from '../engine/serve.ts'
import { InputError, type InputName, parseSettings, type ReadInput } from '../engine/inputs.ts'
import { renderTerminal, textTable } from '../report/terminal.ts'
import { buildSummary } from '../report/summary.ts'
import { formatSize } from '../util/size.ts'
import { visible } from '../util/untrusted.ts'
import { type CliArgs, parseArgs, UsageError, USAGE } from './args.ts'
import { terminalPort } from './port.ts'

export const EXIT = { ok: 0, error: 1, usage: 2, noHealthy: 3, goFailed: 4 } as const

/** What a terminal has no use for: the cache service, the build cache and later steps are a runner's. */
const CLI_SETTINGS: Partial<Record<InputName, string>> = { cache: 'false', 'save-cache': 'false', 'build-cache': 'false', 'protect-later-steps': 'false' }

declare const PACKAGE_VERSION: string | undefined

export interface CliStreams {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WriteStream
}

export async function runCli(argv: string[], streams: CliStreams = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const { stdout, stderr } = streams
  let args: CliArgs
  let read: ReadInput
  let folderNamed = false
  try {
    args = parseArgs(argv)
    folderNamed = args.inputs['working-directory'] !== undefined
    read = name => args.inputs[name] ?? CLI_SETTINGS[name] ?? ''
    // Every setting is checked before anything runs: a bad one is named as the flag it came from.
    if (args.command === 'download' || args.command === 'serve') parseSettings(read, process.cwd())
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof InputError)) throw e
    // The folder the command was run in, when no flag named one: said as such, with what to do.
    const unnamed = e instanceof InputError && e.input === 'working-directory' && !folderNamed
    stderr.write(`go-mod-download: ${unnamed ? `the current folder: ${e.problem}; run it in a module's folder, or give --working-directory` : usageProblem(e)}\n`)
    return EXIT.usage
  }
  if (args.command === 'help') {
    stdout.write(USAGE)
    return EXIT.ok
  }
  if (args.command === 'version') {
    stdout.write(`${typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : 'source'}\n`)
    return EXIT.ok
  }
  return args.command === 'serve' ? runServe(args, read, streams) : runDownload(args, read, streams)
}

/** A flag's setting is named as the flag; the rest is the parser's own words. */
function usageProblem(e: UsageError | InputError): string {
  return e instanceof InputError ? `${settingName(e.input)}: ${e.problem}` : e.message
}

/** A setting as the CLI names it: a flag, or where it came from when no flag gave it (`proxies (from go env GOPROXY)`). */
function settingName(input: string): string {
  return /^[a-z-]+$/.test(input) ? `--${input}` : input
}

async function runDownload(args: CliArgs, read: ReadInput, { stdout, stderr }: CliStreams): Promise<number> {
  const terminal = terminalPort(stderr, { verbose: args.verbose })
  usePort(terminal)
  const result = await run({ read, workspace: process.cwd() })
  terminal.done()
  const mask = (text: string) => maskSecrets(text, [...result.secrets, ...terminal.secrets])
  if (args.json) stdout.write(`${JSON.stringify(result.facts, (_key, value: unknown) => (typeof value === 'string' ? mask(value) : value))}\n`)
  else stdout.write(renderTerminal(buildSummary(result.facts, { runner: false }), mask))
  // Why, on stderr too, as its last line: with --json, or stdout sent to a file, the reader sees nothing else.
  if (!result.facts.ok) stderr.write(`go-mod-download: ${visible(mask(failureLine(result)))}\n`)
  return exitCode(result)
}

/** Why the run failed, a setting named as the CLI names it (a flag, or where it came from). */
export function failureLine(result: RunResult): string {
  const bad = result.badSetting
  if (bad) return `${settingName(bad.input)}: ${bad.problem}`
  return result.facts.failure ?? 'go mod download failed'
}

export function exitCode(result: RunResult): number {
  const { facts } = result
  if (facts.ok) return EXIT.ok
  if (result.failedOn === 'input') return EXIT.usage
  if (facts.probes.length > 0 && !facts.probes.some(p => p.verdict === 'healthy')) return EXIT.noHealthy
  return facts.attempts.length > 0 ? EXIT.goFailed : EXIT.error
}

async function runServe(args: CliArgs, read: ReadInput, { stdout, stderr }: CliStreams): Promise<number> {
  let listen: { host: string; port: number }
  let idleMs: number
  try {
    listen = parseListen(args.listen)
    idleMs = parseIdle(args.idleTimeout)
  } catch (e) {
    stderr.write(`go-mod-download: ${(e as Error).message}\n`)
    return EXIT.usage
  }
  const terminal = terminalPort(stderr, { verbose: args.verbose })
  usePort(terminal)
  if (!isLoopbackHost(listen.host)) {
    terminal.warning(`--listen ${args.listen} reaches beyond this machine: go's requests, and the secret path in them that lets anyone use this proxy (and the candidates' credentials it holds), cross the network in plain HTTP. Listen on loopback unless that network is yours alone.`)
  }
  // Taken, or not this machine's: said now, naming the flag, not after the candidates were probed.
  const unusable = await cannotListen(listen)
  if (unusable) {
    stderr.write(`go-mod-download: --listen ${args.listen}: ${unusable}\n`)
    return EXIT.error
  }
  const secrets: string[] = []
  const mask = (text: string) => maskSecrets(text, [...secrets, ...terminal.secrets])
  let serving: Awaited<ReturnType<typeof serve>>
  try {
    serving = await serve({ read, workspace: process.cwd(), listen }, secrets)
  } catch (e) {
    stderr.write(`go-mod-download: ${mask(e instanceof InputError ? usageProblem(e) : (e as Error).message)}\n`)
    return e instanceof InputError ? EXIT.usage : EXIT.error
  }
  terminal.info(`Serving ${serving.candidates.join(', ')} verified, hedged and failed over; stop it with Ctrl-C (it stops by itself after ${args.idleTimeout} without a request).`)
  // GOPROXY=<url> alone loses go's fallback to them (a module the proxies lack, fetched direct): said, with how to keep it.
  if (serving.goOwn.length > 0) {
    const own = serving.goOwn.join(', ')
    terminal.info(`${own} ${serving.goOwn.length > 1 ? 'are' : 'is'} go's own, not served here: for go to fall back as before, put ${serving.goOwn.length > 1 ? 'them' : 'it'} after the URL (GOPROXY=<url>,${serving.goOwn.join(',')}).`)
  }
  let idle: NodeJS.Timeout | undefined
  // Listening for SIGINT and SIGTERM before the line is written: a script that stops it as soon as
  // it reads the line would otherwise kill it by the signal, its figures unwritten and its folder left.
  const stopped = new Promise<string>(resolve => {
    let last = -1
    let lastActivity = Date.now()
    idle = setInterval(() => {
      if (serving.requests() !== last) {
        last = serving.requests()
        lastActivity = Date.now()
      } else if (Date.now() - lastActivity >= idleMs) resolve(`idle for ${args.idleTimeout}`)
    }, Math.min(1000, idleMs))
    process.once('SIGINT', () => resolve('interrupted'))
    process.once('SIGTERM', () => resolve('terminated'))
  })
  // The one line a script waits for; the URL's secret path is what lets go in, so it is printed here and nowhere else.
  stdout.write(`GOPROXY=${serving.url}\n`)
  const why = await stopped
  clearInterval(idle)
  const stats = serving.stats(why)
  await serving.close()
  const rows = stats.candidates.map(c => [c.display, String(c.stats.requests), String(c.stats.served), formatSize(c.stats.bytes), String(c.stats.failures), String(c.stats.stalls), String(c.stats.rejected), `${c.stats.hedgesWon}/${c.stats.hedgesLost}`])
  stdout.write(
    mask(
      `Stopped (${why}): ${stats.requests} requests from go, ${stats.served} served, ${stats.refused} refused; ${stats.files} files fetched and verified, ${formatSize(stats.bytes)}, ${stats.hedges} hedges, ${stats.retries} retries.\n` +
        `${textTable(['Candidate', 'Requests', 'Kept', 'Received', 'Failures', 'Stalls', 'Rejected', 'Hedges won/lost'], rows)}\n`
    )
  )
  return EXIT.ok
}

/** Why nothing can listen at `listen` now (the address taken, or none of this machine's), found by listening there a moment. */
function cannotListen(listen: { host: string; port: number }): Promise<string | undefined> {
  return new Promise(resolve => {
    const server = net.createServer()
    server.once('error', (e: NodeJS.ErrnoException) => resolve(LISTEN_ERRORS[e.code ?? ''] ?? e.message))
    server.listen(listen.port, listen.host, () => server.close(() => resolve(undefined)))
  })
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use',
  EADDRNOTAVAIL: 'no address of this machine',
  EACCES: 'not allowed to listen there (a port below 1024 needs privileges)'
}

/** `host:port`, `[::1]:port`: where serve listens. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text)
  const port = Number(m?.[3])
  if (!m || port > 65535) throw new UsageError(`--listen: "${text}" is not host:port (127.0.0.1:8080, [::1]:8080; port 0 for a free one)`)
  return { host: (m[1] ?? m[2]) as string, port }
}

function parseIdle(text: string): number {
  const ms = parseDuration(text)
  if (ms === undefined || ms <= 0) throw new UsageError(`--idle-timeout: "${text}" is not a duration longer than zero; write it like 90s, 30m, 2h`)
  return ms
}
