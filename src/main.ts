// The action: restore → probe → download → save → report.
import * as core from '@actions/core'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { downloadEnv, runAttempt } from './attempt.ts'
import { cacheKeys, cachePath, restoreModCache, type RestoreReport, saveDecision, saveModCache } from './cache.ts'
import { secretsIn } from './credentials.ts'
import { readDependencyFiles } from './depfiles.ts'
import { formatDuration } from './duration.ts'
import { findGo, type GoEnv, processEnv, readGoEnv } from './goenv.ts'
import { assembleChain, type Candidate, demote, goproxyDisplay, goproxyValue } from './goproxy.ts'
import { probeTarget, type SumLine } from './gosum.ts'
import { candidatesFrom, parseSettings, type Settings } from './inputs.ts'
import { privateMatcher } from './private.ts'
import { prefetch, type PrefetchReport } from './prefetch.ts'
import { modRequest, probeAll, protocolRequest } from './probe.ts'
import { killTreesOnSignals } from './process.ts'
import { HttpClient, loadNetworkView } from './net/client.ts'
import { fallbackOrder, rankHealthy } from './ranking.ts'
import { downloadWithRetries } from './retry.ts'
import { writeReport } from './report.ts'
import { describeFailure, formatSize, type RunFacts } from './summary.ts'

const BACKOFF_MS = 1000
const PREFETCH_ROUNDS = 3
const PREFETCH_BACKOFF_MS = 250

/** What every stage of one run needs: decided once, read by all. */
interface RunContext {
  go: string
  env: GoEnv
  settings: Settings
  workspace: string
  candidates: Candidate[]
  /** The action's own HTTP, seeing the network as go does. */
  client: HttpClient
  facts: RunFacts
}

export async function run(): Promise<void> {
  killTreesOnSignals()
  const facts: RunFacts = { ok: false, probes: [], restore: { state: 'disabled' }, attempts: [] }
  const secrets: string[] = []
  let client: HttpClient | undefined
  try {
    const workspace = process.env.GITHUB_WORKSPACE || process.cwd()
    const settings = parseSettings(name => core.getInput(name), workspace)
    const go = await findGo()
    const env = await readGoEnv(go, settings.workingDirectory)
    const candidates = settings.candidates ?? candidatesFrom('proxies (from go env GOPROXY)', env.GOPROXY)
    const network = await loadNetworkView(processEnv(), env.GOAUTH)
    const proxies = [network.proxies.http, network.proxies.https].flatMap(p => (p ? [p.url.href] : []))
    for (const secret of new Set([...candidates.flatMap(c => secretsIn(c.spec)), ...proxies.flatMap(secretsIn), ...network.auth.secrets()])) {
      core.setSecret(secret)
      secrets.push(secret)
    }
    for (const method of network.auth.unsupported) core.info(`GOAUTH method "${method.split(/\s/)[0]}" is go's alone; the action's own requests go without it.`)
    facts.trust = network.trust.sources
    client = new HttpClient(network, { maxSockets: settings.concurrency })
    await download({ go, env, settings, workspace, candidates, client, facts })
    if (!facts.ok) core.setFailed(facts.failure ?? 'go mod download failed')
  } catch (e) {
    facts.failure = (e as Error).message
    core.setFailed(facts.failure)
  } finally {
    client?.close()
    await writeReport(facts, secrets)
  }
}

async function download(ctx: RunContext): Promise<void> {
  const { env, settings, facts } = ctx
  const deps = await readDependencyFiles(ctx.workspace, settings.workingDirectory, settings.cacheDependencyPath)
  const keys = cacheKeys({ os: env.GOOS, arch: env.GOARCH, goVersion: env.GOVERSION, files: deps.files, goModText: deps.goModText })
  facts.cacheKey = keys.key
  const archived = cachePath(env.GOMODCACHE, settings.cacheContents)
  if (settings.cache) {
    facts.restore = await core.group('Restore the module cache', () => restoreModCache(archived, keys, settings.cacheTimeoutMs))
    if (facts.restore.warning) core.warning(facts.restore.warning)
    core.info(describeRestore(facts.restore))
  }

  const attempt = (goproxy: string) =>
    runAttempt({
      go: ctx.go,
      cwd: settings.workingDirectory,
      env: downloadEnv(processEnv(), goproxy, env.GOFLAGS),
      modcache: env.GOMODCACHE,
      timeoutMs: settings.timeoutMs,
      stallTimeoutMs: settings.stallTimeoutMs,
      onLine: line => core.info(line)
    })

  // With every module already in the module cache, no proxy needs to be asked anything.
  const cached = hasDownloads(env.GOMODCACHE) && (await checkModuleCache(attempt, ctx.candidates, facts))
  if (!cached) await probeAndDownload(ctx, attempt, deps.sumLines)

  const decision = saveDecision({ cacheEnabled: settings.cache, saveCache: settings.saveCache, downloadOk: facts.ok, restore: facts.restore.state })
  facts.save = decision.save
    ? await core.group('Save the module cache', () => saveModCache(archived, keys.key, settings.cacheTimeoutMs))
    : { state: 'skipped', why: `not saved: ${decision.why}` }
  if (facts.save.state === 'failed') core.warning(`Cache ${facts.save.why}`)
}

type Attempt = (goproxy: string) => ReturnType<typeof runAttempt>

/** `GOPROXY=off go mod download`: true when the module cache already held every module. */
async function checkModuleCache(attempt: Attempt, candidates: Candidate[], facts: RunFacts): Promise<boolean> {
  const offline = await core.group('Check the module cache (GOPROXY=off)', () => attempt('off'))
  if (offline.endedBy !== 'exit' || offline.exit.code !== 0) {
    core.info('Some modules are not in the module cache yet; probing the proxies.')
    return false
  }
  facts.ok = true
  facts.probeNote = `Every module was already in the module cache (checked with GOPROXY=off in ${formatDuration(offline.durationMs)}); no proxy was probed.`
  facts.attempts = [{ number: 1, first: 'module cache', reason: 'ok', detail: 'all modules cached', durationMs: offline.durationMs, zips: 0 }]
  facts.exported = goproxyDisplay(candidates)
  core.exportVariable('GOPROXY', goproxyValue(candidates))
  core.info(facts.probeNote)
  return true
}

async function probeAndDownload(ctx: RunContext, attempt: Attempt, sumLines: SumLine[]): Promise<void> {
  const { env, settings, candidates, facts } = ctx
  const isPrivate = privateMatcher(env.GOPRIVATE, env.GONOPROXY)
  const target = probeTarget(sumLines, isPrivate)
  facts.probes = await core.group('Probe the proxies', async () => {
    const probes = await probeAll(ctx.client, candidates, target ? modRequest(target) : protocolRequest(), settings.probeTimeoutMs)
    for (const p of probes) {
      const via = p.via ? `, through ${p.via}` : ''
      core.info(`${p.candidate.display}: ${p.verdict}${p.latencyMs === undefined ? '' : ` in ${formatDuration(p.latencyMs)}`} (${p.reason}${via})`)
    }
    return probes
  })
  const ranked = rankHealthy(facts.probes, settings.selection)
  let chain = assembleChain(candidates, ranked)
  if (ranked.length === 0 && candidates.some(c => !c.keyword)) {
    facts.probeNote = 'No candidate passed its probe; trying them all, those that answered before those that did not, since a probe can be wrong.'
    core.warning(facts.probeNote)
    chain = assembleChain(candidates, fallbackOrder(facts.probes))
  }

  if (settings.prefetch && ranked.length > 0) chain = await prefetchThenReorder(ctx, chain, sumLines, isPrivate)

  const result = await downloadWithRetries(
    chain,
    c => core.group(`go mod download (GOPROXY=${goproxyDisplay(c)})`, () => attempt(goproxyValue(c))),
    {
      retries: settings.retries,
      backoffMs: BACKOFF_MS,
      onAttemptEnd: (record, next) => {
        const how = `Attempt ${record.number} (${record.first} first): ${record.reason} after ${formatDuration(record.durationMs)}`
        if (record.reason === 'ok') core.info(how)
        else core.warning(`${how}${record.detail ? ` — ${record.detail}` : ''}${next ? `; next, ${next} first` : ''}`)
      }
    }
  )
  facts.attempts = result.attempts
  facts.ok = result.ok
  for (const candidate of result.demoted) {
    core.warning(`${candidate.display} answered some requests with errors; go got those modules from the next proxy, and it goes last in the exported GOPROXY.`)
  }
  facts.exported = goproxyDisplay(result.chain)
  core.exportVariable('GOPROXY', goproxyValue(result.chain))
  if (result.ok) facts.chosen = result.chain[0]?.display
  else facts.failure = describeFailure(facts.probes, facts.attempts)
}

/** The verified prefetch from the healthy entries of the chain; what misbehaved goes behind the others for go. */
async function prefetchThenReorder(ctx: RunContext, chain: Candidate[], lines: SumLine[], isPrivate: (module: string) => boolean): Promise<Candidate[]> {
  const { env, settings, facts } = ctx
  const healthy = facts.probes.filter(p => p.verdict === 'healthy')
  const report = await core.group('Prefetch, verified against go.sum', () =>
    prefetch({
      client: ctx.client,
      candidates: chain.flatMap(c => healthy.filter(p => p.candidate === c).map(p => ({ candidate: c, latencyMs: p.latencyMs ?? 0 }))),
      lines,
      isPrivate,
      modcache: env.GOMODCACHE,
      concurrency: settings.concurrency,
      rounds: PREFETCH_ROUNDS,
      backoffMs: PREFETCH_BACKOFF_MS,
      stallTimeoutMs: settings.stallTimeoutMs,
      timeoutMs: settings.timeoutMs
    })
  )
  facts.prefetch = report
  core.info(describePrefetch(report))
  const reordered = demote(chain, report.troubled)
  for (const candidate of reordered.demoted) core.warning(`${candidate.display} misbehaved during the prefetch; it goes behind the others.`)
  return reordered.chain
}

function describePrefetch(p: PrefetchReport): string {
  const left = p.missed ? `; ${p.missed} left to go mod download` : ''
  const stopped = p.stopped ? ` (stopped: ${p.stopped})` : ''
  return `Prefetched ${p.files} files (${formatSize(p.bytes)}) in ${formatDuration(p.durationMs)}: ${p.retries} retries, ${p.hedges} hedges, ${p.rejected} rejected${left}${stopped}`
}

function describeRestore(restore: RestoreReport): string {
  return restore.matchedKey ? `Restored ${restore.matchedKey} (${restore.state})` : `Cache: ${restore.state}`
}

function hasDownloads(modcache: string): boolean {
  const dir = path.join(modcache, 'cache', 'download')
  return existsSync(dir) && readdirSync(dir).length > 0
}
