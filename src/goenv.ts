// Finding go and reading its settings, without letting a toolchain switch hang this stage.
import * as exec from '@actions/exec'
import * as io from '@actions/io'
import * as tc from '@actions/tool-cache'
import path from 'node:path'

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

/** go on PATH, else the newest go that setup-go left in the runner's tool cache. */
export async function findGo(): Promise<string> {
  const onPath = await io.which('go', false)
  if (onPath) return onPath
  const versions = tc.findAllVersions('go')
  const newest = versions.sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))[0]
  if (newest) {
    const exe = process.platform === 'win32' ? 'go.exe' : 'go'
    return path.join(tc.find('go', newest), 'bin', exe)
  }
  throw new Error('go was not found on PATH nor in the tool cache; run actions/setup-go before this action')
}

export async function readGoEnv(go: string, cwd: string): Promise<GoEnv> {
  const { stdout } = await exec.getExecOutput(go, ['env', '-json', ...NAMES], {
    cwd,
    silent: true,
    env: { ...processEnv(), GOTOOLCHAIN: 'local' }
  })
  const parsed = JSON.parse(stdout) as Partial<GoEnv>
  return Object.fromEntries(NAMES.map(n => [n, parsed[n] ?? ''])) as unknown as GoEnv
}

/** process.env without undefined values, as child processes take it. */
export function processEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined))
}
