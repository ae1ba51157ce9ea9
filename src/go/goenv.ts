// Finding go and reading its settings, without letting a toolchain switch hang this stage.
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { output } from '../util/process.ts'

export interface GoEnv {
  GOPROXY: string
  GOMODCACHE: string
  /** The build cache: kept between jobs with the build-cache input. */
  GOCACHE: string
  GOVERSION: string
  GOFLAGS: string
  GOOS: string
  GOARCH: string
  GOPRIVATE: string
  /** The modules go fetches direct, as in effect (GOPRIVATE unless set). */
  GONOPROXY: string
  /** The modules go checks against no checksum database, as in effect (GOPRIVATE unless set). */
  GONOSUMDB: string
  /** How go finds credentials for https requests: the action's own requests use the same. */
  GOAUTH: string
  /** The go.work in effect ('' for none, 'off'): a workspace downloads its whole build list. */
  GOWORK: string
  /** go's settings file, and its installation: where the user's GOTOOLCHAIN is read from. */
  GOENV: string
  GOROOT: string
  /** The machine go runs on (GOOS and GOARCH may name a cross-compile target): the toolchain go switches to is built for it. */
  GOHOSTOS: string
  GOHOSTARCH: string
  /** The checksum database go asks for modules go.sum lacks ('off' for none). */
  GOSUMDB: string
}

const NAMES: (keyof GoEnv)[] = ['GOPROXY', 'GOMODCACHE', 'GOCACHE', 'GOVERSION', 'GOFLAGS', 'GOOS', 'GOARCH', 'GOPRIVATE', 'GONOPROXY', 'GONOSUMDB', 'GOAUTH', 'GOWORK', 'GOENV', 'GOROOT', 'GOHOSTOS', 'GOHOSTARCH', 'GOSUMDB']

const EXE = process.platform === 'win32' ? 'go.exe' : 'go'

/** go on PATH, else the newest go that setup-go left in the runner's tool cache. */
export async function findGo(): Promise<string> {
  const onPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map(dir => path.join(dir, EXE)).find(executable)
  if (onPath) return onPath
  const newest = goInToolCache()
  if (newest) return newest
  throw new Error('go was not found on PATH nor in the tool cache; put go on PATH (on GitHub, run actions/setup-go before this action)')
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return statSync(file).isFile()
  } catch {
    return false
  }
}

/** The newest complete Go in the runner's tool cache, as @actions/tool-cache lays it out: go/<version>/<arch>, beside <arch>.complete. */
export function goInToolCache(): string | undefined {
  const toolCache = process.env.RUNNER_TOOL_CACHE
  if (!toolCache) return undefined
  const dir = path.join(toolCache, 'go')
  const versions = existsSync(dir) ? readdirSync(dir).filter(v => existsSync(path.join(dir, v, `${os.arch()}.complete`))) : []
  const newest = versions.sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))[0]
  return newest ? path.join(dir, newest, os.arch(), 'bin', EXE) : undefined
}

export async function readGoEnv(go: string, cwd: string): Promise<GoEnv> {
  const { code, stdout, stderr } = await output(go, ['env', '-json', ...NAMES], { cwd, env: { ...processEnv(), GOTOOLCHAIN: 'local' } })
  if (code !== 0) throw new Error(`go env failed (exit code ${code}): ${stderr.trim()}`)
  const parsed = JSON.parse(stdout) as Partial<GoEnv>
  return Object.fromEntries(NAMES.map(n => [n, parsed[n] ?? ''])) as unknown as GoEnv
}

/** process.env without undefined values, as child processes take it. */
export function processEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined))
}
