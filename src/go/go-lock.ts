// go's per-module-version lock, taken as go takes it, so that the step and other go processes
// sharing a module cache (self-hosted runners) never remove, extract or move a module while
// another one works on it. cmd/go locks `cache/download/<module>/@v/<version>.lock` with
// flock(2) (lockedfile, on Linux and macOS) while it downloads a zip and while it extracts it.
// node has no flock, so one long-lived perl process (perl is on every GitHub runner image, and
// perl-base is essential on Debian and Ubuntu) holds the locks on request: it opens each lock
// file as go does (created 0666, never through a link), tries flock(LOCK_EX|LOCK_NB) every
// 10 ms until node, which keeps the time, gives up on it, and closes the file to release it.
// Its stdin is the step's: when the step ends, however it ends, perl reads end-of-file and
// exits, and the kernel releases whatever it held; with nothing to hold for a while, the step
// closes it, and starts another when it needs one. Without perl, and on Windows (go uses
// LockFileEx there, which no process of ours can take), no lock is taken: see docs/module-cache-on-the-runner.md.
import { type ChildProcess, spawn } from 'node:child_process'
import os from 'node:os'
import { createInterface } from 'node:readline'

/**
 * What became of a request: held until release(), still held by another after the bound, no
 * way to lock here, or a lock file go could not lock either (with the errno's name, when it was
 * the open that failed: EROFS on a read-only module cache).
 */
export type Locked = { kind: 'held'; release: () => void } | { kind: 'busy' } | { kind: 'unavailable'; why: string } | { kind: 'refused'; why: string; code?: string }

// Only perl-base (Fcntl): minimal images carry no more. `L <id> <hex path>` asks for a lock,
// `U <id>` gives it up or releases it; answers are `<id> locked` or `<id> refused <why>`.
const SCRIPT = String.raw`
use strict; use Fcntl qw(:flock :DEFAULT);
$| = 1; my (%want, %held); my $buf = '';
while (1) {
  my $rin = ''; vec($rin, fileno(STDIN), 1) = 1;
  if (select(my $rout = $rin, undef, undef, %want ? 0.01 : undef) > 0) {
    my $got = sysread(STDIN, $buf, 65536, length $buf);
    exit 0 unless $got;
    while ($buf =~ s/^(\w) (\d+) ?([0-9a-f]*)\n//) {
      my ($op, $id, $hex) = ($1, $2, $3);
      if ($op ne 'L') { delete $want{$id}; delete $held{$id}; next }
      if (!sysopen(my $fh, pack('H*', $hex), O_RDWR|O_CREAT|O_NOFOLLOW|O_NONBLOCK, 0666)) { print "$id refused ", $!+0, " $!\n" }
      elsif (!-f $fh) { print "$id refused 0 not a regular file\n" }
      else { $want{$id} = $fh }
    }
  }
  for my $id (keys %want) {
    if (flock($want{$id}, LOCK_EX|LOCK_NB)) { $held{$id} = delete $want{$id}; print "$id locked\n" }
  }
}`

interface Helper {
  child: ChildProcess
  answers: Map<number, (answer: string) => void>
  /** Requests waiting and locks held: at none for IDLE_MS, the helper is let go. */
  busy: number
  idle?: NodeJS.Timeout
  /** Set once the helper cannot serve: why. */
  gone?: string
}

/** How long a helper with nothing to hold stays: a step takes its locks in bursts (the check, then the fetch). */
const IDLE_MS = 2000
const ERRNO_NAMES = new Map(Object.entries(os.constants.errno).map(([name, number]) => [number, name]))

let helper: Helper | undefined
let nextId = 0

function start(): Helper {
  // Only PATH: it needs nothing else of the step's environment.
  const child = spawn('perl', ['-e', SCRIPT], { stdio: ['pipe', 'pipe', 'ignore'], env: { PATH: process.env.PATH ?? '' }, windowsHide: true })
  const started: Helper = { child, answers: new Map(), busy: 0 }
  const lost = (why: string) => {
    started.gone ??= why
    for (const answer of started.answers.values()) answer(`unavailable ${why}`)
    started.answers.clear()
  }
  child.on('error', e => lost(`perl could not start (${(e as NodeJS.ErrnoException).code ?? e.message})`))
  child.on('exit', code => lost(`perl ended (${code})`))
  child.stdin?.on('error', () => lost('perl ended'))
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', line => {
    const [id, ...answer] = line.split(' ')
    const waiting = started.answers.get(Number(id))
    started.answers.delete(Number(id))
    waiting?.(answer.join(' '))
  })
  // Never what keeps the step alive: pending requests have timers of their own.
  child.unref()
  for (const stream of [child.stdin, child.stdout]) (stream as unknown as { unref?: () => void } | null)?.unref?.()
  return started
}

/** One more (or, with -1, one fewer) request or lock for the helper; with none left for IDLE_MS, its stdin is closed and it exits. */
function account(used: Helper, change: 1 | -1): void {
  used.busy += change
  clearTimeout(used.idle)
  if (used.busy > 0) return
  used.idle = setTimeout(() => {
    if (used.busy > 0) return
    if (helper === used) helper = undefined
    used.child.stdin?.end()
  }, IDLE_MS).unref()
}

/**
 * Takes go's lock at `file` (a `<version>.lock`, named through a directory reached without
 * links), waiting at most `boundMs`, or until `signal` aborts (then `busy`). A paused go holds
 * its lock forever: the bound is what lets the step go on without that module.
 */
export function takeGoLock(file: string, boundMs: number, signal?: AbortSignal): Promise<Locked> {
  if (process.platform === 'win32') return Promise.resolve({ kind: 'unavailable', why: 'go locks with LockFileEx on Windows' })
  if (signal?.aborted) return Promise.resolve({ kind: 'busy' })
  helper ??= start()
  const used = helper
  if (used.gone) return Promise.resolve({ kind: 'unavailable', why: used.gone })
  const id = nextId++
  const send = (line: string) => {
    if (!used.gone) used.child.stdin?.write(`${line}\n`)
  }
  account(used, 1)
  return new Promise(resolve => {
    let done = false
    const finish = (result: Locked) => {
      if (done) return
      done = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', giveUp)
      if (result.kind !== 'held') account(used, -1)
      resolve(result)
    }
    const giveUp = () => {
      used.answers.delete(id)
      send(`U ${id}`)
      finish({ kind: 'busy' })
    }
    const timer = setTimeout(giveUp, boundMs)
    signal?.addEventListener('abort', giveUp, { once: true })
    used.answers.set(id, answer => {
      let released = false
      const release = () => {
        if (released) return
        released = true
        send(`U ${id}`)
        account(used, -1)
      }
      if (answer === 'locked') finish({ kind: 'held', release })
      else if (answer.startsWith('refused ')) {
        const [, errno, ...why] = answer.split(' ')
        const code = ERRNO_NAMES.get(Number(errno))
        finish({ kind: 'refused', why: why.join(' '), ...(code ? { code } : {}) })
      }
      else finish({ kind: 'unavailable', why: answer.slice('unavailable '.length) })
    })
    send(`L ${id} ${Buffer.from(file).toString('hex')}`)
  })
}
