// Whether go accepts GOFLAGS, asked before any request. `go env` does not parse them, so a flag go
// refuses was found only when `go mod download` ran: after the cache's restore and the probe.
// go's rules (a flag no go command knows is an error, one another command knows is ignored, a bad
// value is an error only for a command that has the flag) are asked of go itself, running the
// very command the download runs, in an empty module of its own, offline.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { output } from '../util/process.ts'

/**
 * How long go may take to judge them (a few ms when it can). A go that takes longer is waiting on
 * something the flags name (an -overlay or -modfile that is a FIFO, a mount that never answers):
 * it is killed with its process group, and the download, under its watchdog, meets the flags.
 */
export const GOFLAGS_CHECK_TIMEOUT_MS = 30_000

/**
 * go's words when it refuses GOFLAGS (the first line), or undefined when it takes them. The flags
 * may still name the project's own files (an absolute -modfile): go is given a module cache of its
 * own, empty, and no module it may fetch direct, so that nothing is fetched, over the network or
 * from the runner's module cache, and nothing is extracted there before the action checks it.
 */
export async function goflagsProblem(go: string, goflags: string, env: Record<string, string>, timeoutMs = GOFLAGS_CHECK_TIMEOUT_MS): Promise<string | undefined> {
  if (goflags.trim() === '') return undefined
  const dir = mkdtempSync(path.join(env.RUNNER_TEMP || os.tmpdir(), 'go-mod-download-goflags-'))
  try {
    writeFileSync(path.join(dir, 'go.mod'), 'module goflags.check\n')
    const offline = { ...env, GOFLAGS: goflags, GOPROXY: 'off', GOTOOLCHAIN: 'local', GOWORK: 'off', GOMODCACHE: path.join(dir, 'modcache'), ...NOTHING_DIRECT, GOSUMDB: 'off' }
    // Killed past the bound, or not run at all: no verdict, and the download meets the flags.
    const said = await output(go, ['mod', 'download'], { cwd: dir, env: offline, timeoutMs }).catch(() => undefined)
    return said === undefined ? undefined : refusedGoflags(`${said.stderr}\n${said.stdout}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A pattern no module path matches (its first element has no dot): with GOPROXY=off, go may fetch nothing at all. */
const NOTHING_DIRECT = { GOPRIVATE: 'goflags-check-none', GONOPROXY: 'goflags-check-none', GONOSUMDB: 'goflags-check-none' }

/**
 * A `-modfile` in GOFLAGS that names no file in `dir`, where go runs: go takes the flag, then
 * fails every attempt on it (`go: open alt.mod: no such file or directory`), which no retry fixes.
 */
export function missingModfile(goflags: string, dir: string): string | undefined {
  const modfile = goflagsFields(goflags)
    .map(f => /^--?modfile=(.+)$/.exec(f)?.[1])
    .filter(v => v !== undefined)
    .at(-1)
  if (modfile === undefined || existsSync(path.resolve(dir, modfile))) return undefined
  return `-modfile=${modfile} names no file in ${dir}`
}

/**
 * GOFLAGS split into flags as go splits it (cmd/internal/quoted's Split): fields between spaces,
 * tabs and line breaks, and a field that starts with ' or " runs to the same quote, taken as it
 * is (`'-ldflags=-X a=b'` is one flag). An unterminated quote, which go refuses, ends the list.
 */
export function goflagsFields(goflags: string): string[] {
  const fields: string[] = []
  let rest = goflags
  for (;;) {
    rest = rest.replace(/^[ \t\n\r]+/, '')
    if (rest === '') return fields
    const quote = rest[0] === '"' || rest[0] === "'" ? rest[0] : undefined
    if (quote) {
      const end = rest.indexOf(quote, 1)
      if (end < 0) return fields
      fields.push(rest.slice(1, end))
      rest = rest.slice(end + 1)
    } else {
      const field = /^[^ \t\n\r]+/.exec(rest)?.[0] as string
      fields.push(field)
      rest = rest.slice(field.length)
    }
  }
}

/** The line in which go refuses GOFLAGS: an unknown flag or a non-flag, or a bad value. Any other complaint is the download's to meet. */
export function refusedGoflags(stderr: string): string | undefined {
  return stderr.split('\n').find(line => GOFLAGS_REFUSED.test(line))
}

/** cmd/go/internal/base/goflags.go's messages ($GOFLAGS is %GOFLAGS% in some on Windows). */
export const GOFLAGS_REFUSED = /^go: (parsing \$GOFLAGS: |(invalid (boolean )?value .* for flag|invalid boolean flag|flag needs an argument:) -\S+ \(from [$%]GOFLAGS%?\)(: |$))/
