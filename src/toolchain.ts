// Whether go would leave the installed toolchain: go.mod's `go` line against the installed go,
// under the user's GOTOOLCHAIN. A switch the action cannot protect (go fetches the toolchain
// through GOPROXY with its timeout-less client) or one go will refuse is said before any request.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { compareGoVersions } from './semver.ts'

export interface ToolchainFacts {
  /** go.mod's (or go.work's) `go` line. */
  goLine: string | undefined
  /** `go env GOVERSION` of the installed go: `go1.26.8`, perhaps with a suffix. */
  installed: string
  /** The user's GOTOOLCHAIN: `auto`, `local`, `path`, `goX.Y.Z`, or those with `+auto`/`+path`. */
  gotoolchain: string
}

/** Why the download cannot go ahead with this toolchain setting, or undefined when it can. */
export function toolchainProblem(f: ToolchainFacts): string | undefined {
  const installed = /^go(\S+?)(?:\s|$)/.exec(f.installed)?.[1] ?? f.installed
  const setting = f.gotoolchain.trim()
  const fix = `Install go ${f.goLine} or later before this step (actions/setup-go with go-version-file: go.mod).`
  if (setting === 'local' && f.goLine && compareGoVersions(f.goLine, installed) > 0) {
    return `go.mod requires go >= ${f.goLine}, but the installed go is ${installed} and GOTOOLCHAIN=local forbids go to switch. ${fix}`
  }
  const pinned = /^go(\d[^+]*)$/.exec(setting)?.[1]
  if (pinned && compareGoVersions(pinned, installed) !== 0) {
    return `GOTOOLCHAIN=${setting} makes go fetch toolchain go${pinned} in place of the installed go ${installed}, a download the action cannot protect yet. Install go ${pinned} before this step (actions/setup-go), or set GOTOOLCHAIN=local.`
  }
  return undefined
}

/**
 * The GOTOOLCHAIN go would use, read without running go (a pinned toolchain would make any go
 * command fetch it): the environment, else the user's go env file, else GOROOT/go.env, else auto.
 */
export function userToolchain(env: NodeJS.ProcessEnv, goenvFile: string, goroot: string): string {
  if (env.GOTOOLCHAIN) return env.GOTOOLCHAIN
  for (const file of [goenvFile, path.join(goroot, 'go.env')]) {
    const value = settingIn(file, 'GOTOOLCHAIN')
    if (value) return value
  }
  return 'auto'
}

function settingIn(file: string, name: string): string | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  for (const line of text.split('\n')) {
    const m = new RegExp(`^\\s*${name}=(.*)$`).exec(line)
    if (m) return m[1]?.trim()
  }
  return undefined
}
