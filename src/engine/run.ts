// One run of the engine, whichever front door opens it: settings → restore → probe → download →
// save, and the report. It writes through the port and returns facts: what the summary says, and
// what the front door hands on (variables and PATH for later steps, the post step's state).
import path from 'node:path'
import { cacheKeys, saveDecision } from '../cache/keys.ts'
import { exportChain } from '../later/export.ts'
import { type JobProxyLaunch, launchJobProxy } from '../later/start.ts'
import { handBuildCacheOn, hasDownloads, saveModuleCache, startBuildCache, startModuleCache } from '../cache/stage.ts'
import type { DependencyFiles } from './depfiles.ts'
import { formatDuration } from '../util/duration.ts'
import { type GoEnv, processEnv } from '../go/goenv.ts'
import { goflagsProblem, missingModfile } from '../go/goflags.ts'
import type { Candidate } from '../go/goproxy.ts'
import { InputError, type Settings } from './inputs.ts'
import { goRuns, type GoRun } from '../download/go-runs.ts'
import { probeAndDownload } from '../download/probe-and-download.ts'
import { HttpClient } from '../net/client.ts'
import type { RunFacts } from '../report/facts.ts'
import { traced } from '../util/trace.ts'
import { chooseToolchain, type ToolchainChoice, toolchainProblem, userToolchain } from '../toolchain/select.ts'
import { toolchainLinks } from '../toolchain/provide.ts'
import { toolchainOnRunner } from '../toolchain/stage.ts'
import { buildsFromVendor, hasModulesTxt, vendorConsistent } from '../go/vendor.ts'
import { port } from './port.ts'
import { type SetupOptions, setUp } from './setup.ts'

/** What every stage of one run needs: decided once, read by all. */
interface RunContext {
  go: string
  env: GoEnv
  settings: Settings
  workspace: string
  /** go.sum and the other files whose content keys the caches. */
  deps: DependencyFiles
  candidates: Candidate[]
  /** The action's own HTTP, seeing the network as go does. */
  client: HttpClient
  /** The toolchain go runs for this module: the installed one, or the one it switches to. */
  toolchain: ToolchainChoice
}

/** What the summary says of the module cache and the download. */
type DownloadFacts = Omit<Partial<RunFacts>, 'exported' | 'laterSteps' | 'buildCache' | 'buildCacheSave' | 'trust'>

export type RunOptions = SetupOptions

/** What the front door hands on to later steps, after the run: none of it is applied by the engine. */
export interface HandOn {
  /** Variables for later steps (GOPROXY, GODEBUG), credentials included. */
  variables: Record<string, string>
  /** Folders later steps find first on PATH (a toolchain go switches to). */
  paths: string[]
  /** What the post step reads. */
  postState: Record<string, string>
}

export interface RunResult {
  facts: RunFacts
  handOn: HandOn
  /** Every credential seen: masked in whatever the front door writes of the facts. */
  secrets: string[]
  /** Why it failed, for an exit code: a setting or go.mod (before any request), or the run. */
  failedOn?: 'input' | 'run'
  /** The setting that was wrong, when one was: a front door names it in its own words (a flag, an input). */
  badSetting?: { input: string; problem: string }
}

export async function run(options: RunOptions): Promise<RunResult> {
  const startedMs = performance.now()
  let facts: RunFacts = { ok: false, probes: [], restore: { state: 'disabled' }, attempts: [] }
  const secrets: string[] = []
  const handOn: HandOn = { variables: {}, paths: [], postState: {} }
  let failedOn: RunResult['failedOn']
  let badSetting: RunResult['badSetting']
  let client: HttpClient | undefined
  let later: JobProxyLaunch | undefined
  try {
    const { settings, go, env, candidates, network, deps } = await setUp(options, secrets)
    const workspace = options.workspace
    facts.trust = network.trust.sources
    client = new HttpClient(network, { maxSockets: settings.concurrency })
    // Before any request: a toolchain go would refuse, or fetch unprotected.
    const toolchainFacts = { goLine: deps.goLine, toolchainLine: deps.toolchainLine, installed: env.GOVERSION, gotoolchain: userToolchain(process.env, env.GOENV, env.GOROOT) }
    const problem = toolchainProblem(toolchainFacts)
    if (problem) {
      failedOn = 'input'
      throw new Error(problem)
    }
    // A module cache go refuses (it met it only in the download, after the restore, the probe and the
    // fetch, which wrote a module cache of their own relative to this process's folder).
    // A module go builds from vendor/ needs none: go takes it as it is, and so does vendored() below.
    if (!path.isAbsolute(env.GOMODCACHE) && !fromVendor(settings, deps, env)) throw new InputError(GOMODCACHE_INPUT, modcacheProblem(env.GOMODCACHE))
    const ctx: RunContext = { go, env, settings, workspace, deps, candidates, client, toolchain: chooseToolchain(toolchainFacts) }
    // GOFLAGS go refuses, asked of the installed go: a toolchain go switches to judges them itself, later.
    const refused = ctx.toolchain.switches ? undefined : await traced('GOFLAGS check', () => goflagsProblem(go, env.GOFLAGS, processEnv()))
    if (refused) throw new InputError(GOFLAGS_INPUT, `go refuses them (${refused}); fix GOFLAGS in the environment, or with go env -w GOFLAGS=…`)
    const modfile = missingModfile(env.GOFLAGS, settings.workingDirectory)
    if (modfile) throw new InputError(GOFLAGS_INPUT, `${modfile}: go would fail every attempt on it`)
    // Launched now so that its start overlaps the download; configured only if the download succeeds.
    later = settings.protectLaterSteps ? launchJobProxy() : undefined
    const build = settings.buildCache
      ? await startBuildCache({ gocache: env.GOCACHE, keys: { os: env.GOOS, arch: env.GOARCH, goVersion: ctx.toolchain.name, files: deps.files }, timeoutMs: settings.cacheTimeoutMs })
      : undefined
    if (build) facts.buildCache = build.report
    const downloaded = await download(ctx)
    facts = { ...facts, ...downloaded.facts }
    Object.assign(handOn.variables, downloaded.variables)
    if (facts.toolchain) handOn.paths.push(toolchainLinks())
    if (downloaded.error) throw downloaded.error
    const handed = await exportChain({
      chain: downloaded.chain,
      later,
      downloadOk: facts.ok,
      probes: facts.probes,
      sumdb: facts.sumdb,
      sumLines: deps.sumLines,
      goauth: env.GOAUTH,
      idleMs: settings.laterStepsIdleMs,
      stallTimeoutMs: settings.stallTimeoutMs,
      timeoutMs: settings.timeoutMs
    })
    facts.exported = handed.exported
    handOn.variables.GOPROXY = handed.goproxy
    Object.assign(handOn.postState, handed.postState)
    if (handed.laterSteps) facts.laterSteps = handed.laterSteps
    if (build?.state) {
      const hand = handBuildCacheOn(build.state, { saveCache: settings.saveCache, downloadOk: facts.ok, restore: build.report.state })
      facts.buildCacheSave = hand.why
      Object.assign(handOn.postState, hand.postState)
    }
    if (!facts.ok) failedOn = 'run'
  } catch (e) {
    facts.failure = (e as Error).message
    failedOn ??= e instanceof InputError ? 'input' : 'run'
    if (e instanceof InputError) badSetting = { input: e.input, problem: e.problem }
  } finally {
    await later?.abandon()
    client?.close()
  }
  facts = { ...facts, durationMs: performance.now() - startedMs }
  return { facts, handOn, secrets, ...(failedOn ? { failedOn } : {}), ...(badSetting ? { badSetting } : {}) }
}

/**
 * Restore, check, download, save: what the summary says of them, and the chain later steps
 * should use. What stopped it, if anything, comes back beside what it found until then.
 */
async function download(ctx: RunContext): Promise<{ chain: Candidate[]; facts: DownloadFacts; variables?: Record<string, string>; error?: Error }> {
  const { env, settings, deps } = ctx
  let facts: DownloadFacts = {}
  let variables: Record<string, string> = {}
  try {
    // A toolchain go switches to, already on this runner, is on PATH before go first runs.
    const onRunner = ctx.toolchain.switches ? await traced('toolchain on the runner', () => toolchainOnRunner(ctx.toolchain, env.GOVERSION)) : undefined
    if (onRunner) facts.toolchain = onRunner
    const vendor = await vendored(ctx)
    if (vendor) return { chain: ctx.candidates, facts: { ...facts, ...vendor } }
    // Without go.sum nothing can check what a cache or a proxy hands over: go checks each module
    // against the checksum database itself, and the cache is neither trusted nor fed.
    const withoutGoSum = deps.missingGoSum
    if (withoutGoSum) {
      facts.probeNote = noGoSum(settings.cache)
      port.warning(facts.probeNote)
    }
    const keys = cacheKeys({ os: env.GOOS, arch: env.GOARCH, contents: settings.cacheContents, files: deps.files })
    facts.cacheKey = keys.key
    const start = await startModuleCache({ modcache: env.GOMODCACHE, keys, restore: settings.cache && !withoutGoSum, timeoutMs: settings.cacheTimeoutMs, sumLines: deps.sumLines, contents: settings.cacheContents })
    const restore = start.restore
    facts.restore = restore
    if (start.verify) facts.verify = start.verify

    const runs = goRuns({
      go: ctx.go,
      workingDirectory: settings.workingDirectory,
      goflags: env.GOFLAGS,
      modcache: env.GOMODCACHE,
      timeoutMs: settings.timeoutMs,
      stallTimeoutMs: settings.stallTimeoutMs
    })
    // With every module already in the module cache, no proxy needs to be asked anything.
    const cached = hasDownloads(env.GOMODCACHE) ? await checkModuleCache(runs.run) : undefined
    const online = cached
      ? undefined
      : await probeAndDownload({
          client: ctx.client,
          candidates: ctx.candidates,
          env,
          settings,
          sumLines: deps.sumLines,
          prefetch: !withoutGoSum,
          run: runs.run,
          requests: runs.requests,
          ...(ctx.toolchain.switches && !onRunner ? { fetchToolchain: ctx.toolchain } : {})
        })
    let chain = ctx.candidates
    if (online) {
      const { chain: ranked, error, ...found } = online
      chain = ranked
      facts = { ...facts, ...found }
      if (error) throw error
    } else facts = { ...facts, ...cached }
    variables = runs.forLaterSteps()

    facts.save = await saveModuleCache({
      modcache: env.GOMODCACHE,
      key: keys.key,
      sumLines: deps.sumLines,
      contents: settings.cacheContents,
      timeoutMs: settings.cacheTimeoutMs,
      decision: saveDecision({ cacheEnabled: settings.cache, goSum: !withoutGoSum, saveCache: settings.saveCache, downloadOk: facts.ok ?? false, restore: restore.state, key: keys.key, ...(restore.matchedKey ? { matchedKey: restore.matchedKey } : {}) })
    })
    return { chain, facts, variables }
  } catch (e) {
    return { chain: ctx.candidates, facts, variables, error: e as Error }
  }
}

/** GOFLAGS as a failure names it: not an input of the action, but the setting go reads. */
const GOFLAGS_INPUT = 'GOFLAGS (from go env GOFLAGS)'

const GOMODCACHE_INPUT = 'GOMODCACHE (from go env GOMODCACHE)'

/** Why go would refuse this module cache: go env reports it as set, relative or empty, and go refuses it when it needs it. */
const modcacheProblem = (modcache: string): string =>
  modcache === ''
    ? 'is not set, nor GOPATH, nor HOME: go has no module cache; set GOMODCACHE to an absolute path'
    : `${JSON.stringify(modcache)} is not an absolute path, which go requires of the module cache; set GOMODCACHE to one`

/** What a missing go.sum costs; the cache only where there is one to restore and save (not the CLI's, nor with `cache: false`). */
function noGoSum(cache: boolean): string {
  return cache
    ? 'There is no go.sum: the action cannot check any module against it, so it neither restores nor saves the module cache and does not prefetch; go downloads through the probed chain and checks each module against the checksum database (GOSUMDB) itself. Commit go.sum (go mod tidy) to get verified caching and prefetch.'
    : 'There is no go.sum: no module can be checked against it, so nothing is fetched ahead of go; go downloads through the probed chain and checks each module against the checksum database (GOSUMDB) itself. Commit go.sum (go mod tidy) to get the verified prefetch.'
}

/** A module that builds from a consistent vendor/ needs no download: what the summary says of it, or undefined when it downloads. */
async function vendored(ctx: RunContext): Promise<DownloadFacts | undefined> {
  const { env, settings, deps } = ctx
  if (!fromVendor(settings, deps, env)) return undefined
  const check = await vendorConsistent(ctx.go, settings.workingDirectory, processEnv())
  if (!check.ok) {
    port.warning(`vendor/modules.txt does not agree with go.mod, so builds will fail until \`go mod vendor\` is run; downloading the modules meanwhile. go said: ${check.why}`)
    return undefined
  }
  const probeNote = 'go builds this module from vendor/ (vendor/modules.txt agrees with go.mod): nothing to download, so no proxy was probed and the module cache was neither restored nor saved.'
  port.info(probeNote)
  return { ok: true, probeNote, save: { state: 'skipped', why: 'not saved: the module builds from vendor/' } }
}

/** Whether go builds this module from vendor/, by its files and settings (whether vendor/ agrees with go.mod is go's to say). */
const fromVendor = (settings: Settings, deps: DependencyFiles, env: GoEnv): boolean =>
  buildsFromVendor({ hasModulesTxt: hasModulesTxt(settings.workingDirectory), goLine: deps.goLine, goflags: env.GOFLAGS, workspace: env.GOWORK !== '' && env.GOWORK !== 'off' })

/** `GOPROXY=off go mod download`: what the summary says when the module cache already held every module, else undefined. */
async function checkModuleCache(attempt: GoRun): Promise<DownloadFacts | undefined> {
  const offline = await port.group('Check the module cache (GOPROXY=off)', () => attempt('off'))
  if (offline.endedBy !== 'exit' || offline.exit.code !== 0) {
    port.info('Some modules are not in the module cache yet; probing the proxies.')
    return undefined
  }
  const probeNote = `Every module was already in the module cache (checked with GOPROXY=off in ${formatDuration(offline.durationMs)}); no proxy was probed.`
  port.info(probeNote)
  return { ok: true, probeNote, attempts: [{ number: 1, first: 'module cache', reason: 'ok', detail: 'all modules cached', durationMs: offline.durationMs, zips: 0 }] }
}
