// Whether go accepts GOFLAGS, asked before any request. `go env` does not parse them, so a flag go
// refuses was found only when `go mod download` ran: after the cache's restore and the probe.
// go's rules (a flag no go command knows is an error, one another command knows is ignored, a bad
// value is an error only for a command that has the flag) are asked of go itself, running the
// very command the download runs, in an empty module of its own, offline.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { output } from '../util/process.ts'

/** go's words when it refuses GOFLAGS (the first line), or undefined when it takes them. */
export async function goflagsProblem(go: string, goflags: string, env: Record<string, string>): Promise<string | undefined> {
  if (goflags.trim() === '') return undefined
  const dir = mkdtempSync(path.join(env.RUNNER_TEMP || os.tmpdir(), 'go-mod-download-goflags-'))
  try {
    writeFileSync(path.join(dir, 'go.mod'), 'module goflags.check\n')
    const { stderr } = await output(go, ['mod', 'download'], { cwd: dir, env: { ...env, GOFLAGS: goflags, GOPROXY: 'off', GOTOOLCHAIN: 'local', GOWORK: 'off' } })
    return refusedGoflags(stderr)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * A `-modfile` in GOFLAGS that names no file in `dir`, where go runs: go takes the flag, then
 * fails every attempt on it (`go: open alt.mod: no such file or directory`), which no retry fixes.
 */
export function missingModfile(goflags: string, dir: string): string | undefined {
  const modfile = goflags
    .split(/\s+/)
    .map(f => /^--?modfile=(.+)$/.exec(f)?.[1])
    .filter(v => v !== undefined)
    .at(-1)
  if (modfile === undefined || existsSync(path.resolve(dir, modfile))) return undefined
  return `-modfile=${modfile} names no file in ${dir}`
}

/** The line in which go refuses GOFLAGS: an unknown flag or a non-flag, or a bad value. Any other complaint is the download's to meet. */
export function refusedGoflags(stderr: string): string | undefined {
  return stderr.split('\n').find(line => GOFLAGS_REFUSED.test(line))
}

/** cmd/go/internal/base/goflags.go's messages ($GOFLAGS is %GOFLAGS% in some on Windows). */
export const GOFLAGS_REFUSED = /^go: (parsing \$GOFLAGS: |(invalid (boolean )?value .* for flag|invalid boolean flag|flag needs an argument:) -\S+ \(from [$%]GOFLAGS%?\)(: |$))/
