// Which toolchain go would run for this module, decided as cmd/go's toolchain selection decides
// (go.dev/doc/toolchain#select), without running go: GOTOOLCHAIN's minimum and mode, then, when
// switching is allowed, go.mod's (or go.work's) `toolchain` and `go` lines. Said before any
// request: a switch go will refuse fails the step at once; a switch it may make is provided.
import { readSettingsFile } from '../util/settings-file.ts'
import path from 'node:path'
import { compareGoVersions } from '../go/semver.ts'

export interface ToolchainFacts {
  /** go.work's `go` line, else go.mod's. */
  goLine: string | undefined
  /** go.work's `toolchain` line, else go.mod's. */
  toolchainLine?: string | undefined
  /** `go env GOVERSION` of the installed go: `go1.26.8`, perhaps with a suffix. */
  installed: string
  /** The user's GOTOOLCHAIN: `auto`, `local`, `path`, `goX.Y.Z`, or those with `+auto`/`+path`. */
  gotoolchain: string
}

export interface ToolchainChoice {
  /** The toolchain go runs: `go1.26.8`, or the one it switches to. */
  name: string
  /** Its version, `1.26.8`. */
  version: string
  /** Whether that is another toolchain than the installed one. */
  switches: boolean
  /** How go gets it when it switches: `auto` fetches it through GOPROXY, `path` only looks in PATH. */
  mode: 'auto' | 'path' | ''
}

/** The version in a toolchain name: `go1.21.3` and `go1.21.3-custom` are 1.21.3. */
export function toolchainVersion(name: string): string | undefined {
  return /^go(\d+\.\d+(?:\.\d+)?(?:(?:rc|beta)\d+)?)(?:$|[-+\s])/.exec(name.trim())?.[1]
}

/** Why go cannot run this module with this setting (it refuses to switch), or undefined. */
export function toolchainProblem(f: ToolchainFacts): string | undefined {
  const choice = chooseToolchain(f)
  if (choice.mode !== '' || !f.goLine || compareGoVersions(f.goLine, choice.version) <= 0) return undefined
  const fix = `Install go ${f.goLine} or later before this step (actions/setup-go with go-version-file: go.mod).`
  const setting = f.gotoolchain.trim()
  return setting === 'local'
    ? `go.mod requires go >= ${f.goLine}, but the installed go is ${choice.version} and GOTOOLCHAIN=local forbids go to switch. ${fix}`
    : `go.mod requires go >= ${f.goLine}, but GOTOOLCHAIN=${setting} makes go run ${choice.name} and forbids it to switch further. ${fix}`
}

/** The toolchain go would run, as cmd/go's Select decides. */
export function chooseToolchain(f: ToolchainFacts): ToolchainChoice {
  const local = `go${toolchainVersion(f.installed) ?? f.installed.trim()}`
  const setting = f.gotoolchain.trim() || 'auto'
  const [minimum, suffix] = setting === 'auto' || setting === 'path' ? ['local', setting] : setting.split('+', 2)
  const mode = suffix === 'auto' || suffix === 'path' ? suffix : ''
  let name = minimum === 'local' || !minimum ? local : minimum
  let version = toolchainVersion(name) ?? ''
  if (mode) {
    const wanted = f.toolchainLine && f.toolchainLine !== 'default' ? toolchainVersion(f.toolchainLine) : undefined
    if (wanted && compareGoVersions(wanted, version) > 0) [name, version] = [f.toolchainLine as string, wanted]
    if (f.goLine && compareGoVersions(f.goLine, version) > 0) {
      // A language version (`go 1.22`) means its first release, go1.22.0.
      const release = /^\d+\.\d+$/.test(f.goLine) && compareGoVersions(f.goLine, '1.21') >= 0 ? `${f.goLine}.0` : f.goLine
      ;[name, version] = [`go${release}`, f.goLine]
    }
  }
  return { name, version: toolchainVersion(name) ?? version, switches: name !== local, mode }
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
    text = readSettingsFile(file)
  } catch {
    return undefined
  }
  for (const line of text.split('\n')) {
    const m = new RegExp(`^\\s*${name}=(.*)$`).exec(line)
    if (m) return m[1]?.trim()
  }
  return undefined
}
