// The real go, run the way the tests need it: offline except for loopback, no toolchain switch.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** go on PATH, else the usual install location (a fresh machine may not have it on PATH). */
export function goBinary(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (existsSync(path.join(dir, 'go'))) return path.join(dir, 'go')
  }
  return '/usr/local/go/bin/go'
}

/** A new, empty GOMODCACHE for one run. */
export function tempModcache(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'modcache-'))
}

/** Environment under which go can never reach beyond loopback. */
export function offlineGoEnv(modcache: string): Record<string, string> {
  return {
    GOMODCACHE: modcache,
    GOSUMDB: 'off',
    GOTOOLCHAIN: 'local',
    GOFLAGS: '-modcacherw',
    GOPROXY: 'off',
    GONOSUMDB: '',
    GOPRIVATE: '',
    GONOPROXY: ''
  }
}

export async function go(args: string[], cwd: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await run(goBinary(), args, { cwd, env: { ...process.env, ...env } })
  return stdout
}
