// The action: restore → probe → download → save → report.
import * as core from '@actions/core'
import { extractsWritable } from './attempt.ts'
import { cacheKeys, saveDecision } from './cache/keys.ts'
import { exportChain } from './later/export.ts'
import { type JobProxyLaunch, launchJobProxy } from './later/start.ts'
import { handBuildCacheOn, hasDownloads, saveModuleCache, startBuildCache, startModuleCache } from './cache/stage.ts'
import { secretsIn } from './credentials.ts'
import { type DependencyFiles, readDependencyFiles } from './depfiles.ts'
import { formatDuration } from './duration.ts'
import { findGo, type GoEnv, processEnv, readGoEnv } from './goenv.ts'
import { type Candidate, goproxyDisplay, goproxyValue } from './goproxy.ts'
import type { SumLine } from './gosum.ts'
import { sumdbRelay } from './sumdb.ts'
import { candidatesFrom, parseSettings, type Settings } from './inputs.ts'
import { privateMatcher } from './private.ts'
import { type FetchOptions, type FetchStage, startFetch } from './fetch/stage.ts'
import { goRuns, type GoRun } from './download/go-runs.ts'
import { runDownload } from './download/stage.ts'
import { readProject } from './fetch/resolve.ts'
import type { ProbeResult } from './probe/probe.ts'
import { runProbe } from './probe/stage.ts'
import { killTreesOnSignals } from './process.ts'
import { HttpClient, loadNetworkView, networkSecrets } from './net/client.ts'
import { writeReport } from './report.ts'
import { describeFailure, type RunFacts } from './summary.ts'
import { chooseToolchain, type ToolchainChoice, toolchainProblem, userToolchain } from './toolchain/select.ts'
import { toolchainOnRunner, toolchainThroughChain } from './toolchain/stage.ts'
import { buildsFromVendor, hasModulesTxt, vendorConsistent } from './vendor.ts'

const BACKOFF_MS = 1000
const FETCH_ROUNDS = 3
const FETCH_BACKOFF_MS = 250

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
  facts: RunFacts
}

export async function run(): Promise<void> {
  killTreesOnSignals()
  const facts: RunFacts = { ok: false, probes: [], restore: { state: 'disabled' }, attempts: [] }
  const secrets: string[] = []
  let client: HttpClient | undefined
  let later: JobProxyLaunch | undefined
  try {
    const workspace = process.env.GITHUB_WORKSPACE || process.cwd()
    const settings = parseSettings(name => core.getInput(name), workspace)
    const go = await findGo()
    const env = await readGoEnv(go, settings.workingDirectory)
    const candidates = settings.candidates ?? candidatesFrom('proxies (from go env GOPROXY)', env.GOPROXY)
    const network = await loadNetworkView(processEnv(), env.GOAUTH)
    for (const secret of new Set([...candidates.flatMap(c => secretsIn(c.spec)), ...networkSecrets(network)])) {
      core.setSecret(secret)
      secrets.push(secret)
    }
    for (const method of network.auth.unsupported) core.info(`GOAUTH method "${method.split(/\s/)[0]}" is go's alone; the action's own requests go without it.`)
    facts.trust = network.trust.sources
    client = new HttpClient(network, { maxSockets: settings.concurrency })
    const deps = await readDependencyFiles(workspace, settings.workingDirectory, settings.cacheDependencyPath)
    // Before any request: a toolchain go would refuse, or fetch unprotected.
    const toolchainFacts = { goLine: deps.goLine, toolchainLine: deps.toolchainLine, installed: env.GOVERSION, gotoolchain: userToolchain(process.env, env.GOENV, env.GOROOT) }
    const problem = toolchainProblem(toolchainFacts)
    if (problem) throw new Error(problem)
    const ctx: RunContext = { go, env, settings, workspace, deps, candidates, client, toolchain: chooseToolchain(toolchainFacts), facts }
    // Launched now so that its start overlaps the download; configured only if the download succeeds.
    later = settings.protectLaterSteps ? launchJobProxy() : undefined
    const build = settings.buildCache
      ? await startBuildCache({ gocache: env.GOCACHE, keys: { os: env.GOOS, arch: env.GOARCH, goVersion: ctx.toolchain.name, files: deps.files }, timeoutMs: settings.cacheTimeoutMs })
      : undefined
    if (build) facts.buildCache = build.report
    const chain = await download(ctx)
    const handed = await exportChain({
      chain,
      later,
      downloadOk: facts.ok,
      probes: facts.probes,
      sumdb: facts.sumdb,
      sumLines: deps.sumLines,
      goauth: env.GOAUTH,
      idleMs: settings.laterStepsIdleMs,
      stallTimeoutMs: settings.stallTimeoutMs
    })
    facts.exported = handed.exported
    if (handed.laterSteps) facts.laterSteps = handed.laterSteps
    if (build?.state) facts.buildCacheSave = handBuildCacheOn(build.state, { saveCache: settings.saveCache, downloadOk: facts.ok, restore: build.report.state })
    if (!facts.ok) core.setFailed(facts.failure ?? 'go mod download failed')
  } catch (e) {
    facts.failure = (e as Error).message
    core.setFailed(facts.failure)
  } finally {
    later?.abandon()
    client?.close()
    await writeReport(facts, secrets)
  }
}

/** Restore, check, download, save; the chain later steps should use. */
async function download(ctx: RunContext): Promise<Candidate[]> {
  const { env, settings, facts, deps } = ctx
  // A toolchain go switches to, already on this runner, is on PATH before go first runs.
  if (ctx.toolchain.switches) {
    const onRunner = await toolchainOnRunner(ctx.toolchain, env.GOVERSION)
    if (onRunner) facts.toolchain = onRunner
  }
  if (await vendored(ctx)) return ctx.candidates
  // Without go.sum nothing can check what a cache or a proxy hands over: go checks each module
  // against the checksum database itself, and the cache is neither trusted nor fed.
  const withoutGoSum = deps.missingGoSum
  if (withoutGoSum) {
    facts.probeNote = NO_GO_SUM
    core.warning(NO_GO_SUM)
  }
  const keys = cacheKeys({ os: env.GOOS, arch: env.GOARCH, contents: settings.cacheContents, files: deps.files })
  facts.cacheKey = keys.key
  const start = await startModuleCache({ modcache: env.GOMODCACHE, keys, restore: settings.cache && !withoutGoSum, timeoutMs: settings.cacheTimeoutMs, sumLines: deps.sumLines })
  facts.restore = start.restore
  if (start.verify) facts.verify = start.verify

  const runs = goRuns({
    go: ctx.go,
    workingDirectory: settings.workingDirectory,
    goflags: env.GOFLAGS,
    modcache: env.GOMODCACHE,
    timeoutMs: settings.timeoutMs,
    stallTimeoutMs: settings.stallTimeoutMs,
    sumdbKey: () => facts.sumdb?.route.key
  })
  // With every module already in the module cache, no proxy needs to be asked anything.
  const cached = hasDownloads(env.GOMODCACHE) && (await checkModuleCache(runs.run, facts))
  const chain = cached ? ctx.candidates : await probeAndDownload(ctx, runs.run, deps.sumLines, !withoutGoSum)
  runs.exportForLaterSteps()

  facts.save = await saveModuleCache({
    modcache: env.GOMODCACHE,
    key: keys.key,
    sumLines: deps.sumLines,
    contents: settings.cacheContents,
    timeoutMs: settings.cacheTimeoutMs,
    decision: saveDecision({ cacheEnabled: settings.cache, goSum: !withoutGoSum, saveCache: settings.saveCache, downloadOk: facts.ok, restore: facts.restore.state })
  })
  return chain
}

const NO_GO_SUM =
  'There is no go.sum: the action cannot check any module against it, so it neither restores nor saves the module cache and does not prefetch; go downloads through the probed chain and checks each module against the checksum database (GOSUMDB) itself. Commit go.sum (go mod tidy) to get verified caching and prefetch.'

/** A module that builds from a consistent vendor/ needs no download: said so, and done. */
async function vendored(ctx: RunContext): Promise<boolean> {
  const { env, settings, facts, deps } = ctx
  if (!buildsFromVendor({ hasModulesTxt: hasModulesTxt(settings.workingDirectory), goLine: deps.goLine, goflags: env.GOFLAGS, workspace: env.GOWORK !== '' && env.GOWORK !== 'off' })) return false
  const check = await vendorConsistent(ctx.go, settings.workingDirectory, processEnv())
  if (!check.ok) {
    core.warning(`vendor/modules.txt does not agree with go.mod, so builds will fail until \`go mod vendor\` is run; downloading the modules meanwhile. go said: ${check.why}`)
    return false
  }
  facts.ok = true
  facts.probeNote = 'go builds this module from vendor/ (vendor/modules.txt agrees with go.mod): nothing to download, so no proxy was probed and the module cache was neither restored nor saved.'
  facts.save = { state: 'skipped', why: 'not saved: the module builds from vendor/' }
  core.info(facts.probeNote)
  return true
}

/** `GOPROXY=off go mod download`: true when the module cache already held every module. */
async function checkModuleCache(attempt: GoRun, facts: RunFacts): Promise<boolean> {
  const offline = await core.group('Check the module cache (GOPROXY=off)', () => attempt('off'))
  if (offline.endedBy !== 'exit' || offline.exit.code !== 0) {
    core.info('Some modules are not in the module cache yet; probing the proxies.')
    return false
  }
  facts.ok = true
  facts.probeNote = `Every module was already in the module cache (checked with GOPROXY=off in ${formatDuration(offline.durationMs)}); no proxy was probed.`
  facts.attempts = [{ number: 1, first: 'module cache', reason: 'ok', detail: 'all modules cached', durationMs: offline.durationMs, zips: 0 }]
  core.info(facts.probeNote)
  return true
}

async function probeAndDownload(ctx: RunContext, attempt: GoRun, sumLines: SumLine[], prefetch: boolean): Promise<Candidate[]> {
  const { env, settings, candidates, facts } = ctx
  const isPrivate = privateMatcher(env.GOPRIVATE, env.GONOPROXY)
  // The fetch starts with the first healthy candidate, while the probe waits for the others (at
  // most its cut-off): its files are checked against go.sum, whoever serves them.
  let early: Promise<FetchStage> | undefined
  const startEarly = (first: ProbeResult) => {
    if (early) return
    early = startFetchStage(ctx, [{ candidate: first.candidate, latencyMs: first.latencyMs ?? 0 }], sumLines, isPrivate)
    // Awaited once the probe is over; a failure to start is reported there, not as an unhandled rejection now.
    early.catch(() => undefined)
  }
  const probe = await runProbe({
    client: ctx.client,
    candidates,
    sumLines,
    isPrivate,
    gosumdb: env.GOSUMDB,
    timeoutMs: settings.probeTimeoutMs,
    selection: settings.selection,
    ...(prefetch && settings.prefetch ? { onFirstHealthy: startEarly } : {})
  })
  facts.probes = probe.probes
  if (probe.sumdb) facts.sumdb = probe.sumdb
  if (probe.note) facts.probeNote = probe.note
  const { chain } = probe

  // go fetches through the local proxy, which serves go's download set verified, fetched while go works.
  const fetch = early ? await early : undefined
  const healthy = facts.probes.filter(p => p.verdict === 'healthy')
  fetch?.probed(
    chain.flatMap(c => healthy.filter(p => p.candidate === c).map(p => ({ candidate: c, latencyMs: p.latencyMs ?? 0 }))),
    facts.sumdb ? sumdbRelay(facts.sumdb) : undefined
  )
  const downloaded = await runDownload({
    chain,
    ...(fetch ? { fetch } : {}),
    attempt,
    retries: settings.retries,
    backoffMs: BACKOFF_MS,
    ...(ctx.toolchain.switches && !facts.toolchain ? { prepare: () => provideToolchain(ctx, chain, attempt) } : {})
  })
  if (downloaded.fetch) facts.fetch = downloaded.fetch
  if (downloaded.error) throw downloaded.error
  if (!downloaded.ran) return chain
  facts.attempts = [...facts.attempts, ...downloaded.attempts]
  facts.ok = downloaded.ok
  if (downloaded.chosen) facts.chosen = downloaded.chosen
  if (!downloaded.ok) facts.failure = describeFailure(facts.probes, facts.attempts)
  return downloaded.chain
}

/** The toolchain go switches to, fetched through the chain before go's attempts: false when it could not be. */
async function provideToolchain(ctx: RunContext, chain: Candidate[], attempt: GoRun): Promise<boolean> {
  const { env, settings, facts } = ctx
  const { report, attempts } = await toolchainThroughChain({
    choice: ctx.toolchain,
    installed: env.GOVERSION,
    hostOS: env.GOHOSTOS,
    hostArch: env.GOHOSTARCH,
    modcache: env.GOMODCACHE,
    chain,
    run: (c, modules) => core.group(`Fetch toolchain ${ctx.toolchain.name} (GOPROXY=${goproxyDisplay(c)})`, () => attempt(goproxyValue(c), undefined, modules)),
    retry: { retries: settings.retries, backoffMs: BACKOFF_MS }
  })
  facts.attempts = attempts
  if (!report) {
    facts.failure = `go switches to toolchain ${ctx.toolchain.name} for this module (go.mod asks for it; the installed go is ${env.GOVERSION}), and it could not be fetched: ${describeFailure(facts.probes, facts.attempts)}`
    return false
  }
  facts.toolchain = report
  return true
}

/** The local proxy and the speculative fetch of go's download set, from `candidates` (healthy, in chain order). */
async function startFetchStage(ctx: RunContext, candidates: FetchOptions['candidates'], sumLines: SumLine[], isPrivate: (module: string) => boolean): Promise<FetchStage> {
  return startFetch({
    client: ctx.client,
    candidates,
    sumLines,
    isPrivate,
    project: await readProject(ctx.settings.workingDirectory, ctx.env.GOWORK),
    modcache: ctx.env.GOMODCACHE,
    writableTrees: extractsWritable(ctx.env.GOFLAGS),
    concurrency: ctx.settings.concurrency,
    rounds: FETCH_ROUNDS,
    backoffMs: FETCH_BACKOFF_MS,
    stallTimeoutMs: ctx.settings.stallTimeoutMs
  })
}
