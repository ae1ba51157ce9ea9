// The toolchain go switches to, provided before go asks for it. go looks for a switch target in
// PATH by its name (`go1.99.0`) before it downloads one, so a link by that name to a toolchain
// in the runner's tool cache makes every go command of the job (this step's and later steps')
// run it with no request. The tool cache is filled once per runner: the toolchain module is
// fetched by go itself (`go mod download golang.org/toolchain@…`, so go checks it against the
// checksum database as it would), through the healthy chain under the same watchdog, retries and
// failover as the modules, then moved where @actions/tool-cache (and setup-go) keep Go. The link's
// folder goes first on this process's PATH; the front door hands it on to later steps.
import { existsSync, promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AttemptOutcome } from '../download/attempt.ts'
import type { Candidate } from '../go/goproxy.ts'
import { type DownloadResult, downloadWithRetries, type RetryOptions } from '../download/retry.ts'
import type { ToolchainChoice } from './select.ts'

const TOOL = 'go'
const LINKS_DIR = 'go-mod-download-toolchains'

export interface ToolchainReport {
  wanted: string
  installed: string
  /** Where it came from: the runner's tool cache, or fetched through the chain (and how long that took). */
  source: 'tool cache' | 'fetched'
  durationMs: number
  /** Its GOROOT in the tool cache. */
  goroot: string
}

/** The module go downloads for a toolchain: golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64. */
export function toolchainModule(name: string, hostOS: string, hostArch: string): { path: string; version: string } {
  return { path: 'golang.org/toolchain', version: `v0.0.1-${name}.${hostOS}-${hostArch}` }
}

/** The tool cache's version for a Go release, as setup-go spells it: 1.99.0, 1.21.0-rc.2. */
export function toolCacheVersion(version: string): string {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(version)
  if (!m) return version
  const release = `${m[1]}.${m[2]}.${m[3] ?? 0}`
  return m[4] ? `${release}-${m[4]}.${m[5]}` : release
}

/** The toolchain from the runner's tool cache, put on PATH; undefined when it is not there. */
export async function toolchainFromToolCache(choice: ToolchainChoice, installed: string): Promise<ToolchainReport | undefined> {
  const started = performance.now()
  const goroot = inToolCache(toolCacheVersion(choice.version))
  if (!goroot) return undefined
  await putOnPath(choice.name, goroot)
  return { wanted: choice.name, installed, source: 'tool cache', durationMs: performance.now() - started, goroot }
}

export interface ToolchainFetch {
  choice: ToolchainChoice
  installed: string
  /** The machine's GOHOSTOS and GOHOSTARCH: the toolchain module is built for them. */
  hostOS: string
  hostArch: string
  modcache: string
  chain: Candidate[]
  /** Runs `go mod download -x <args>` outside any module, with GOTOOLCHAIN=local, through this chain, watched. */
  run: (chain: Candidate[], args: string[]) => Promise<AttemptOutcome>
  retry: RetryOptions
}

/** go fetches the toolchain module through the chain (retried and failed over like the modules); then it is installed. */
export async function fetchToolchain(f: ToolchainFetch): Promise<{ report?: ToolchainReport; result: DownloadResult }> {
  const started = performance.now()
  const module = toolchainModule(f.choice.name, f.hostOS, f.hostArch)
  const result = await downloadWithRetries(f.chain, chain => f.run(chain, [`${module.path}@${module.version}`]), f.retry)
  if (!result.ok) return { result }
  const extracted = path.join(f.modcache, `${module.path}@${module.version}`)
  return { report: await installFetched(f.choice, f.installed, extracted, performance.now() - started), result }
}

/**
 * After go downloaded the toolchain module into `extracted` (in the module cache): moves it into
 * the tool cache, makes its commands executable as go does on first use, and puts it on PATH.
 */
async function installFetched(choice: ToolchainChoice, installed: string, extracted: string, fetchMs: number): Promise<ToolchainReport> {
  const started = performance.now()
  const goroot = await adopt(extracted, toolCacheVersion(choice.version))
  await allowExec(goroot)
  await putOnPath(choice.name, goroot)
  return { wanted: choice.name, installed, source: 'fetched', durationMs: fetchMs + performance.now() - started, goroot }
}

/**
 * Moves the tree go just extracted (and checked) into the tool cache, in @actions/tool-cache's
 * layout (`go/<version>/<arch>` and its `.complete` marker): one rename, where a copy of a
 * toolchain's ten thousand files takes seconds. Across file systems it is copied. Without a
 * tool cache (not a runner), go runs it from the module cache.
 */
async function adopt(extracted: string, version: string): Promise<string> {
  const toolCache = process.env.RUNNER_TOOL_CACHE
  if (!toolCache) return extracted
  const dest = path.join(toolCache, TOOL, version, os.arch())
  await fs.rm(`${dest}.complete`, { force: true })
  await fs.rm(dest, { recursive: true, force: true })
  await fs.mkdir(path.dirname(dest), { recursive: true })
  try {
    await fs.rename(extracted, dest)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e
    await fs.cp(extracted, dest, { recursive: true, verbatimSymlinks: true })
  }
  // Written last, as @actions/tool-cache does: a tree without it is incomplete.
  await fs.writeFile(`${dest}.complete`, '')
  return dest
}

/** A complete Go of this version in the runner's tool cache, as @actions/tool-cache's find() sees it. */
function inToolCache(version: string): string | undefined {
  const toolCache = process.env.RUNNER_TOOL_CACHE
  if (!toolCache) return undefined
  const dir = path.join(toolCache, TOOL, version, os.arch())
  return existsSync(`${dir}.complete`) && existsSync(dir) ? dir : undefined
}

/** Module zips carry no file modes: go sets the execute bits of bin/ and pkg/tool/ itself. */
async function allowExec(goroot: string): Promise<void> {
  const toolDirs = await fs.readdir(path.join(goroot, 'pkg', 'tool')).catch(() => [] as string[])
  for (const dir of [path.join(goroot, 'bin'), ...toolDirs.map(d => path.join(goroot, 'pkg', 'tool', d))]) {
    for (const entry of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isFile()) await fs.chmod(path.join(dir, entry.name), 0o755)
    }
  }
}

/** The folder of the links go finds a provided toolchain by: on PATH once one is provided. */
export const toolchainLinks = () => path.join(process.env.RUNNER_TEMP || os.tmpdir(), LINKS_DIR)

/** A link named as go looks for the toolchain (`go1.99.0`), in a folder put first on PATH. */
async function putOnPath(name: string, goroot: string): Promise<void> {
  const dir = toolchainLinks()
  await fs.mkdir(dir, { recursive: true })
  const exe = process.platform === 'win32' ? '.exe' : ''
  const link = path.join(dir, `${name}${exe}`)
  await fs.rm(link, { force: true })
  // A link, not a copy: go finds its GOROOT from its executable's real path.
  await fs.symlink(path.join(goroot, 'bin', `go${exe}`), link)
  process.env.PATH = `${dir}${path.delimiter}${process.env.PATH ?? ''}`
}
