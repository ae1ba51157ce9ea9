// The CLI's command line: a command and flags named like the action's inputs. Pure: what the
// words mean, or a UsageError saying which word is wrong, before anything runs.
import type { InputName } from '../engine/inputs.ts'
import { redactEntry } from '../util/credentials.ts'

export type Command = 'download' | 'serve' | 'help' | 'version'

export interface CliArgs {
  command: Command
  /** The flags that are the action's inputs, by input name, as written. */
  inputs: Partial<Record<InputName, string>>
  /** `download --json`: one JSON document on stdout, the run's report. */
  json: boolean
  /** `--verbose`: text from outside (go's output, the probe's per-candidate lines) shown too, its control characters made visible. */
  verbose: boolean
  /** `serve --listen`: where the proxy listens, `host:port`. */
  listen: string
  /** `serve --idle-timeout`: it stops after this long without a request (a duration). */
  idleTimeout: string
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** The flags both commands take, each the action input of the same name. */
export const INPUT_FLAGS = ['proxies', 'selection', 'probe-timeout', 'timeout', 'stall-timeout', 'retries', 'prefetch', 'concurrency', 'working-directory'] as const satisfies readonly InputName[]
/** Flags that are on when given alone (`--prefetch`), and off as `--no-<flag>`. */
const SWITCHES = new Set<string>(['prefetch', 'json', 'verbose'])
const OWN_FLAGS: Record<Exclude<Command, 'help' | 'version'>, string[]> = {
  download: [...INPUT_FLAGS, 'verbose', 'json'],
  serve: [...INPUT_FLAGS, 'verbose', 'listen', 'idle-timeout']
}

export const DEFAULT_LISTEN = '127.0.0.1:0'
export const DEFAULT_IDLE_TIMEOUT = '2h'

export function parseArgs(argv: string[]): CliArgs {
  const words = [...argv]
  let command: 'download' | 'serve' | 'help' = 'download'
  if (words[0] !== undefined && !words[0].startsWith('-')) {
    const word = words.shift() as string
    if (word !== 'download' && word !== 'serve' && word !== 'help') throw new UsageError(`unknown command "${redactEntry(word)}": the commands are download (the default) and serve`)
    command = word
  }
  const args: CliArgs = { command, inputs: {}, json: false, verbose: false, listen: DEFAULT_LISTEN, idleTimeout: DEFAULT_IDLE_TIMEOUT }
  /** A switch just given alone (`--prefetch`): a true or false after it is its value, written as the action's input is. */
  let bareSwitch: string | undefined
  while (words.length > 0) {
    const word = words.shift() as string
    if (word === '--help' || word === '-h') return { ...args, command: 'help' }
    if (word === '--version') return { ...args, command: 'version' }
    if (command === 'help') continue
    const m = /^--(no-)?([a-z][a-z-]*)(?:=(.*))?$/s.exec(word)
    if (!m && bareSwitch && /^(true|false)$/i.test(word)) throw new UsageError(`"${redactEntry(word)}" is not a flag: --${bareSwitch} is a switch, on alone, off as --no-${bareSwitch} (or --${bareSwitch}=false)`)
    if (!m) throw new UsageError(`"${redactEntry(word)}" is not a flag; flags are written --name value or --name=value (see --help)`)
    const [, negated, name, inline] = m as unknown as [string, string | undefined, string, string | undefined]
    bareSwitch = SWITCHES.has(name) && !negated && inline === undefined ? name : undefined
    if (!OWN_FLAGS[command].includes(name)) throw new UsageError(`${command} takes no flag --${name} (see --help)`)
    let value: string
    if (SWITCHES.has(name)) {
      if (negated && inline !== undefined) throw new UsageError(`--no-${name} takes no value`)
      value = negated ? 'false' : (inline ?? 'true')
    } else {
      if (negated) throw new UsageError(`--${name} is not a switch: --no-${name} means nothing`)
      const next = inline ?? words.shift()
      if (next === undefined) throw new UsageError(`--${name} needs a value`)
      value = next
    }
    if (name === 'json' || name === 'verbose') {
      if (value !== 'true' && value !== 'false') throw new UsageError(`--${name} is a switch: "${redactEntry(value)}" is not true or false`)
      args[name] = value === 'true'
    } else if (name === 'listen') args.listen = value
    else if (name === 'idle-timeout') args.idleTimeout = value
    else args.inputs[name as InputName] = value
  }
  return args
}

export const USAGE = `go-mod-download: go mod download that cannot hang, for laptops, CI systems and Docker builds

Usage:
  go-mod-download [download] [flags]   probe the proxies, fetch what go needs verified against
                                       go.sum, run go mod download under a watchdog with
                                       retries that fail over; in the current module
  go-mod-download serve [flags]        a verifying, hedging module proxy for any go command;
                                       prints GOPROXY=<url> once ready, serves until
                                       interrupted or idle
  go-mod-download --help | --version   this text | the version

Flags (both commands; defaults from go env, as go would run):
  --proxies a,b            candidate GOPROXY URLs in order (direct, off and file:// kept as
                           given); default: go env GOPROXY
  --selection S            ordered (first healthy in your order) or fastest; default ordered
  --probe-timeout D        limit for one probe; default 5s
  --timeout D              limit for one download attempt (serve: for one file); default 10m
  --stall-timeout D        an attempt with no progress this long is killed; default 60s
  --retries N              attempts that go back to a candidate that has gone first,
                           after a backoff (0-20; failing over to a fresh candidate is
                           immediate and counts none; 0: one attempt); default 3
  --prefetch, --no-prefetch  fetch go's download set verified while go works; default on
  --concurrency N          the most requests in flight (1-256); default 64
  --working-directory DIR  where go.mod or go.work lives; default .
  --verbose                also show text from outside: go's output, each candidate's probe
                           line (control characters shown as \\xNN, never acted on)

download only:
  --json                   print one JSON document on stdout: the run's report

serve only:
  --listen HOST:PORT       where to listen; default ${DEFAULT_LISTEN} (a free port)
  --idle-timeout D         stop after this long without a request; default ${DEFAULT_IDLE_TIMEOUT}

Durations are Go's (90s, 1m30s, 10m) or seconds.

Exit codes:
  0  the modules are in the module cache (serve: stopped as asked)
  1  an error of the tool itself
  2  bad command line or setting: nothing was asked of any proxy (and, with --json,
     nothing is printed on stdout: the error is on stderr)
  3  no candidate proxy is healthy, and go could not download through them
  4  go mod download failed (its error is shown)
  130, 143  interrupted (SIGINT, SIGTERM)
`
