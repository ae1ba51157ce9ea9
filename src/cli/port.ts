// The engine's port on a terminal (or a CI log that is not GitHub's): the engine's lines on
// stderr, warnings marked, a live progress line where stderr is a terminal, secrets masked in
// everything written. Text from outside (go's output, a server's words) is shown only with
// --verbose, and never with its control characters: an escape sequence of a server's must not
// drive the reader's terminal.
import type { Port, Progress } from '../engine/port.ts'
import { formatDuration } from '../util/duration.ts'
import { maskSecrets } from '../util/credentials.ts'
import { formatSize } from '../util/size.ts'
import { visible } from '../util/untrusted.ts'

export interface TerminalPort extends Port {
  /** Every secret registered so far, to mask what the CLI writes itself (the summary, the JSON). */
  readonly secrets: string[]
  /** Clears the progress line, if one is shown. */
  done(): void
}

export function terminalPort(out: NodeJS.WriteStream = process.stderr, options: { verbose?: boolean } = {}): TerminalPort {
  const secrets: string[] = []
  const live = out.isTTY === true
  const started = performance.now()
  let progressShown = false
  const clear = () => {
    if (progressShown) out.write('\r\x1b[2K')
    progressShown = false
  }
  const write = (line: string) => {
    clear()
    out.write(`${maskSecrets(line, secrets)}\n`)
  }
  // The engine's lines quote go and servers too (a go error line with a server's reason phrase in
  // a warning): each is shown with its control characters visible, the port's own colours added after.
  const shown = (line: string) => visible(maskSecrets(line, secrets))
  return {
    secrets,
    info: line => write(shown(line)),
    echo: text => {
      if (options.verbose) for (const line of text.split(/\r\n|\r|\n/)) write(`  ${visible(line)}`)
    },
    warning: line => write(live ? `\x1b[33mwarning:\x1b[0m ${shown(line)}` : `warning: ${shown(line)}`),
    group: async (name, work) => {
      write(live ? `\x1b[1m${shown(name)}\x1b[0m` : `== ${shown(name)}`)
      return work()
    },
    secret: value => {
      if (value !== '' && !secrets.includes(value)) secrets.push(value)
    },
    progress: (p: Progress) => {
      if (!live) return
      clear()
      // A terminal that tells no width (0, as a pseudo-terminal may) is taken as 80 columns.
      out.write(maskSecrets(progressLine(p, performance.now() - started), secrets).slice(0, Math.max(20, (out.columns || 80) - 1)))
      progressShown = true
    },
    done: clear
  }
}

/** `42/160 files, 12.3 MiB, 4.1 MiB/s, from https://proxy.example.com (3.0s)` */
export function progressLine(p: Progress, elapsedMs: number): string {
  const files = p.planned > 0 ? `${p.files}/${p.planned} files` : `${p.files} files`
  const rate = elapsedMs > 0 ? `${formatSize((p.bytes * 1000) / elapsedMs)}/s` : ''
  return `${[files, formatSize(p.bytes), rate, p.candidate ? `from ${p.candidate}` : ''].filter(Boolean).join(', ')} (${formatDuration(elapsedMs)})`
}
