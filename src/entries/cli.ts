// The go-mod-download command (package.json's bin). Exiting explicitly ends what a finished run abandoned.
import '../util/heap-growth.ts'
import { writeSync } from 'node:fs'
import { runCli } from '../cli/main.ts'
import { cancelExitCode, killTreesOnSignals } from '../util/process.ts'

const argv = process.argv.slice(2)
// download's go trees are taken down with it on SIGINT or SIGTERM (exit 130, 143); serve stops itself on them.
// Why it ended is the last line on stderr, as for any other failure (a live progress line cleared
// first); written synchronously, since the process exits right after (a pipe is asynchronous on macOS).
const interrupted = (signal: string) => {
  try {
    writeSync(2, `${process.stderr.isTTY ? '\r\x1b[2K' : ''}go-mod-download: interrupted by ${signal}: go mod download and everything it started were stopped\n`)
  } catch {
    // A stderr that takes nothing more (a full pipe, closed) must not keep the process from exiting.
  }
}
if (!['serve', 'help', '--help', '-h'].includes(argv[0] ?? '')) killTreesOnSignals(interrupted)
const code = await runCli(argv)
// A cancel's code, when one came while the run was ending, wins over the run's own (as in index.ts).
process.exit(cancelExitCode() ?? code)
