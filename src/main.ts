// The action: restore → probe → download → save → report.
import * as core from '@actions/core'
import { cacheKeys, saveDecision } from './cache/keys.ts'
import { exportChain } from './later/export.ts'
import { type JobProxyLaunch, launchJobProxy } from './later/start.ts'
import { handBuildCacheOn, hasDownloads, saveModuleCache, startBuildCache, startModuleCache } from './cache/stage.ts'
import { secretsIn } from './credentials.ts'
import { type DependencyFiles, readDependencyFiles } from './depfiles.ts'
import { formatDuration } from './duration.ts'
import { gitSecrets } from './git.ts'
import { findGo, type GoEnv, processEnv, readGoEnv } from './goenv.ts'
import type { Candidate } from './goproxy.ts'
import { candidatesFrom, parseSettings, type Settings } from './inputs.ts'
import { goRuns, type GoRun } from './download/go-runs.ts'
import { probeAndDownload } from './download/probe-and-download.ts'
import { killTreesOnSignals } from './process.ts'
import { HttpClient, loadNetworkView, networkSecrets } from './net/client.ts'
import { writeReport } from './report.ts'
import type { RunFacts } from './report/facts.ts'
import { chooseToolchain, type ToolchainChoice, toolchainProblem, userToolchain } from './toolchain/select.ts'
import { toolchainOnRunner } from './toolchain/stage.ts'
import { traced } from './trace.ts'
import { buildsFromVendor, hasModulesTxt, vendorConsistent } from './vendor.ts'

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

export async function run(): Promise<void> {
  killTreesOnSignals()
  const startedMs = performance.now()
  let facts: RunFacts = { ok: false, probes: [], restore: { state: 'disabled' }, attempts: [] }
  const secrets: string[] = []
  let client: HttpClient | undefined
  let later: JobProxyLaunch | undefined
  try {
    const workspace = process.env.GITHUB_WORKSPACE || process.cwd()
    const settings = parseSettings(name => core.getInput(name), workspace)
    const { go, env } = await traced('go env', async () => {
      const go = await findGo()
      return { go, env: await readGoEnv(go, settings.workingDirectory) }
    })
    const candidates = settings.candidates ?? candidatesFrom('proxies (from go env GOPROXY)', env.GOPROXY)
    const network = await loadNetworkView(processEnv(), env.GOAUTH)
    // go's git reads its own configuration from where go runs it, in the module cache.
    const git = await gitSecrets(env.GOMODCACHE, processEnv())
    for (const secret of new Set([...candidates.flatMap(c => secretsIn(c.spec)), ...networkSecrets(network), ...git])) {
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
    const ctx: RunContext = { go, env, settings, workspace, deps, candidates, client, toolchain: chooseToolchain(toolchainFacts) }
    // Launched now so that its start overlaps the download; configured only if the download succeeds.
    later = settings.protectLaterSteps ? launchJobProxy() : undefined
    const build = settings.buildCache
      ? await startBuildCache({ gocache: env.GOCACHE, keys: { os: env.GOOS, arch: env.GOARCH, goVersion: ctx.toolchain.name, files: deps.files }, timeoutMs: settings.cacheTimeoutMs })
      : undefined
    if (build) facts.buildCache = build.report
    const downloaded = await download(ctx)
    facts = { ...facts, ...downloaded.facts }
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
    await later?.abandon()
    client?.close()
    await traced('summary', () => writeReport({ ...facts, durationMs: performance.now() - startedMs }, secrets))
  }
}

/**
 * Restore, check, download, save: what the summary says of them, and the chain later steps
 * should use. What stopped it, if anything, comes back beside what it found until then.
 */
async function download(ctx: RunContext): Promise<{ chain: Candidate[]; facts: DownloadFacts; error?: Error }> {
  const { env, settings, deps } = ctx
  let facts: DownloadFacts = {}
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
      facts.probeNote = NO_GO_SUM
      core.warning(NO_GO_SUM)
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
    runs.exportForLaterSteps()

    facts.save = await saveModuleCache({
      modcache: env.GOMODCACHE,
      key: keys.key,
      sumLines: deps.sumLines,
      contents: settings.cacheContents,
      timeoutMs: settings.cacheTimeoutMs,
      decision: saveDecision({ cacheEnabled: settings.cache, goSum: !withoutGoSum, saveCache: settings.saveCache, downloadOk: facts.ok ?? false, restore: restore.state, key: keys.key, ...(restore.matchedKey ? { matchedKey: restore.matchedKey } : {}) })
    })
    return { chain, facts }
  } catch (e) {
    return { chain: ctx.candidates, facts, error: e as Error }
  }
}

const NO_GO_SUM =
  'There is no go.sum: the action cannot check any module against it, so it neither restores nor saves the module cache and does not prefetch; go downloads through the probed chain and checks each module against the checksum database (GOSUMDB) itself. Commit go.sum (go mod tidy) to get verified caching and prefetch.'

/** A module that builds from a consistent vendor/ needs no download: what the summary says of it, or undefined when it downloads. */
async function vendored(ctx: RunContext): Promise<DownloadFacts | undefined> {
  const { env, settings, deps } = ctx
  if (!buildsFromVendor({ hasModulesTxt: hasModulesTxt(settings.workingDirectory), goLine: deps.goLine, goflags: env.GOFLAGS, workspace: env.GOWORK !== '' && env.GOWORK !== 'off' })) return undefined
  const check = await vendorConsistent(ctx.go, settings.workingDirectory, processEnv())
  if (!check.ok) {
    core.warning(`vendor/modules.txt does not agree with go.mod, so builds will fail until \`go mod vendor\` is run; downloading the modules meanwhile. go said: ${check.why}`)
    return undefined
  }
  const probeNote = 'go builds this module from vendor/ (vendor/modules.txt agrees with go.mod): nothing to download, so no proxy was probed and the module cache was neither restored nor saved.'
  core.info(probeNote)
  return { ok: true, probeNote, save: { state: 'skipped', why: 'not saved: the module builds from vendor/' } }
}

/** `GOPROXY=off go mod download`: what the summary says when the module cache already held every module, else undefined. */
async function checkModuleCache(attempt: GoRun): Promise<DownloadFacts | undefined> {
  const offline = await core.group('Check the module cache (GOPROXY=off)', () => attempt('off'))
  if (offline.endedBy !== 'exit' || offline.exit.code !== 0) {
    core.info('Some modules are not in the module cache yet; probing the proxies.')
    return undefined
  }
  const probeNote = `Every module was already in the module cache (checked with GOPROXY=off in ${formatDuration(offline.durationMs)}); no proxy was probed.`
  core.info(probeNote)
  return { ok: true, probeNote, attempts: [{ number: 1, first: 'module cache', reason: 'ok', detail: 'all modules cached', durationMs: offline.durationMs, zips: 0 }] }
}
