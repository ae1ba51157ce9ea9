// The step's path through the network: what go will ask decides what is probed (scope.ts); the
// probe ranks the candidates; the fetch starts with the first healthy one (the others probed
// meanwhile) and serves go through the local proxy; the toolchain go switches to, if the runner
// lacks it, comes through the chain; then go's attempts. Returns what it found for the summary
// (what go fetched direct, direct.ts; who served, served.ts), and the chain for later steps.
import { port } from '../engine/port.ts'
import { extractsWritable } from './attempt.ts'
import { type FetchOptions, type FetchReport, type FetchStage, startFetch } from '../fetch/stage.ts'
import { readProject } from '../fetch/resolve.ts'
import type { PlanInput } from '../fetch/download-set.ts'
import type { GoEnv } from '../go/goenv.ts'
import { type Candidate, goproxyDisplay, goproxyValue } from '../go/goproxy.ts'
import type { SumLine } from '../module/gosum.ts'
import type { Settings } from '../engine/inputs.ts'
import type { HttpClient } from '../net/client.ts'
import { moduleRouting } from '../go/private.ts'
import type { ProbeResult } from '../probe/probe.ts'
import { runProbe } from '../probe/stage.ts'
import type { AttemptRecord } from './retry.ts'
import type { SumdbProbe } from '../go/sumdb.ts'
import { describeFailure } from './failure.ts'
import type { ToolchainReport } from '../toolchain/provide.ts'
import type { ToolchainChoice } from '../toolchain/select.ts'
import { toolchainThroughChain } from '../toolchain/stage.ts'
import { type DirectFetch, newZipSources, zipsPresent } from './direct.ts'
import type { GoRequests } from './go-output.ts'
import type { GoRun } from './go-runs.ts'
import { askScope, sumdbUnasked, unprobed } from './scope.ts'
import { whoServed } from './served.ts'
import { runDownload } from './stage.ts'

const BACKOFF_MS = 1000
const FETCH_ROUNDS = 3
const FETCH_BACKOFF_MS = 250

export interface ProbeAndDownloadOptions {
  client: HttpClient
  candidates: Candidate[]
  env: GoEnv
  settings: Settings
  sumLines: SumLine[]
  /** False without go.sum: nothing could check what the fetch would serve. */
  prefetch: boolean
  run: GoRun
  /** How proxies answered go's requests in the step's runs (GoRuns.requests): who served, and what came direct. */
  requests: GoRequests
  /** The toolchain go switches to, when it must come through the chain first (not on the runner). */
  fetchToolchain?: ToolchainChoice
}

export interface ProbeAndDownloadReport {
  ok: boolean
  probes: ProbeResult[]
  probeNote?: string
  sumdb?: SumdbProbe
  fetch?: FetchReport
  toolchain?: ToolchainReport
  /** The toolchain's attempts, then go's. */
  attempts: AttemptRecord[]
  /** The first candidate of the chain that served go or the fetch; `direct` when none did and go cloned modules. */
  chosen?: string
  /** Modules go fetched direct in this step, and why. */
  direct: DirectFetch[]
  /** Zips go read from the chain's file:// entries in this step. */
  fromFiles?: number
  failure?: string
  /** What kept go from running at all (the run fails with it; the rest of the report stands). */
  error?: Error
  /** The chain for later steps. */
  chain: Candidate[]
}

export async function probeAndDownload(o: ProbeAndDownloadOptions): Promise<ProbeAndDownloadReport> {
  const { env, settings } = o
  const routing = moduleRouting(env)
  const isPrivate = (module: string) => routing.direct(module) !== undefined
  const project = readProject(settings.workingDirectory, env.GOWORK)
  // A project go cannot read fails where the fetch reads it, in go's words.
  const scope = askScope(await project.catch(() => undefined), o.sumLines, o.fetchToolchain !== undefined, routing)
  const before = zipsPresent(env.GOMODCACHE, o.sumLines)
  // The fetch starts with the first healthy candidate, while the probe waits for the others (at
  // most its cut-off): its files are checked against go.sum, whoever serves them.
  let early: Promise<FetchStage> | undefined
  const startEarly = (first: ProbeResult) => {
    if (early) return
    early = startFetchStage(o, project, [{ candidate: first.candidate, latencyMs: first.latencyMs ?? 0 }], isPrivate)
    // Awaited once the probe is over; a failure to start is reported there, not as an unhandled rejection now.
    early.catch(() => undefined)
  }
  const probe = scope.noProxy
    ? unprobed(o.candidates, scope, env.GOSUMDB)
    : await runProbe({
        client: o.client,
        candidates: o.candidates,
        sumLines: o.sumLines,
        isPrivate,
        // go asks the checksum database nothing of modules GONOSUMDB covers.
        gosumdb: scope.noSumdb ? 'off' : env.GOSUMDB,
        timeoutMs: settings.probeTimeoutMs,
        selection: settings.selection,
        ...(o.prefetch && settings.prefetch ? { onFirstHealthy: startEarly } : {})
      })
  const note = [probe.note, scope.noProxy ? undefined : sumdbUnasked(scope, env.GOSUMDB)].filter(n => n !== undefined).join(' ')
  const probed = { probes: probe.probes, ...(note ? { probeNote: note } : {}) }
  const { chain } = probe
  // Settled long before go's attempts end (the route probe has the module probe's cut-off); awaited only for the report.
  const sumdbFound = async () => (probe.sumdb ? { sumdb: await probe.sumdb.done } : {})

  let fetch: FetchStage | undefined
  try {
    fetch = early ? await early : undefined
  } catch (e) {
    return { ok: false, ...probed, ...(await sumdbFound()), attempts: [], direct: [], chain, error: e as Error }
  }
  // go fetches through the local proxy, which serves go's download set verified, fetched while go works.
  const healthy = probe.probes.filter(p => p.verdict === 'healthy')
  fetch?.probed(
    chain.flatMap(c => healthy.filter(p => p.candidate === c).map(p => ({ candidate: c, latencyMs: p.latencyMs ?? 0 }))),
    probe.sumdb
  )
  let toolchain: Awaited<ReturnType<typeof toolchainThroughChain>> | undefined
  const choice = o.fetchToolchain
  const provideToolchain = async (): Promise<boolean> => {
    if (!choice) return true
    toolchain = await toolchainThroughChain({
      choice,
      installed: env.GOVERSION,
      hostOS: env.GOHOSTOS,
      hostArch: env.GOHOSTARCH,
      modcache: env.GOMODCACHE,
      chain,
      run: (c, modules) => port.group(`Fetch toolchain ${choice.name} (GOPROXY=${goproxyDisplay(c)})`, () => o.run(goproxyValue(c), undefined, modules)),
      retry: { retries: settings.retries, backoffMs: BACKOFF_MS }
    })
    return toolchain.report !== undefined
  }
  const downloaded = await runDownload({
    chain,
    ...(fetch ? { fetch } : {}),
    attempt: o.run,
    retries: settings.retries,
    backoffMs: BACKOFF_MS,
    ...(choice ? { prepare: provideToolchain } : {})
  })
  const { direct, fromFiles: reads } = newZipSources({
    lines: o.sumLines,
    before,
    after: zipsPresent(env.GOMODCACHE, o.sumLines),
    requests: o.requests,
    routing,
    chain: downloaded.ran ? downloaded.chain : chain,
    fetched: downloaded.fetch !== undefined,
    modcache: env.GOMODCACHE
  })
  const fromFiles = [...reads.values()].reduce((n, zips) => n + zips, 0)
  // With no proxy asked, go's attempts went direct whatever the chain's first entry.
  const attempts = [...(toolchain?.attempts ?? []), ...downloaded.attempts.map(a => (scope.noProxy ? { ...a, first: 'direct' } : a))]
  const report = {
    ...probed,
    ...(await sumdbFound()),
    ...(downloaded.fetch ? { fetch: downloaded.fetch } : {}),
    ...(toolchain?.report ? { toolchain: toolchain.report } : {}),
    attempts,
    direct,
    ...(fromFiles > 0 ? { fromFiles } : {}),
    chain: downloaded.ran ? downloaded.chain : chain
  }
  if (downloaded.error) return { ...report, ok: false, error: downloaded.error }
  if (choice && !toolchain?.report) {
    return { ...report, ok: false, failure: `go switches to toolchain ${choice.name} for this module (go.mod asks for it; the installed go is ${env.GOVERSION}), and it could not be fetched: ${describeFailure(probe.probes, attempts)}` }
  }
  if (!downloaded.ok) return { ...report, ok: false, failure: describeFailure(probe.probes, attempts) }
  const served = whoServed({ chain: report.chain, probes: probe.probes, answered: o.requests.answered, ...(downloaded.fetch ? { fetch: downloaded.fetch } : {}), direct, files: [...reads.keys()] })
  for (const c of served.leftOut) port.info(`${c.display} failed its probe and served nothing; it is left out of the exported GOPROXY.`)
  return { ...report, ok: true, chain: served.chain, ...(served.chosen ? { chosen: served.chosen } : {}) }
}

/** The local proxy and the speculative fetch of go's download set, from `candidates` (healthy, in chain order). */
async function startFetchStage(o: ProbeAndDownloadOptions, project: Promise<PlanInput>, candidates: FetchOptions['candidates'], isPrivate: (module: string) => boolean): Promise<FetchStage> {
  return startFetch({
    client: o.client,
    candidates,
    sumLines: o.sumLines,
    isPrivate,
    project: await project,
    modcache: o.env.GOMODCACHE,
    writableTrees: extractsWritable(o.env.GOFLAGS),
    concurrency: o.settings.concurrency,
    rounds: FETCH_ROUNDS,
    backoffMs: FETCH_BACKOFF_MS,
    stallTimeoutMs: o.settings.stallTimeoutMs
  })
}
