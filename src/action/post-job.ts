// The post step, after the job's other steps: it stops the job's proxy and says what later
// steps fetched through it, then saves the build cache the main step restored. A failure only
// warns: the job's work is done by now. It returns what the job summary gets; the front door
// reads the state and writes the summary.
import { port } from '../engine/port.ts'
import { BUILD_STATE, type BuildCacheState, type BuildSaveReport, saveBuildCache } from '../cache/build.ts'
import { LATER_STEPS_STATE } from '../later/config.ts'
import { stopJobProxy } from '../later/stop.ts'
import { buildSaveMarkdown } from '../report/build-save.ts'
import { laterStepsMarkdown } from '../report/later-steps.ts'

/** `state` reads what the main step left by name; the markdown returned is empty when there is nothing to say. */
export async function runPost(state: (name: string) => string): Promise<string> {
  // The main step leaves no state for what it did not start (or when it failed).
  const proxy = state(LATER_STEPS_STATE)
  const build = state(BUILD_STATE)
  const parts: string[] = []
  if (proxy) {
    const part = await stopProxy(proxy)
    if (part) parts.push(part)
  }
  if (build) parts.push(await saveBuild(JSON.parse(build) as BuildCacheState))
  return parts.join('\n')
}

/** Stops the job's proxy the state names, if the state holds up: a state is a claim (a workflow command can set one). */
async function stopProxy(state: string): Promise<string | undefined> {
  let claim: unknown
  try {
    claim = JSON.parse(state)
  } catch {
    claim = undefined
  }
  const end = await stopJobProxy(claim)
  if (end.refused) {
    port.warning(`The post step's state for the action's proxy was refused, and nothing was signalled or deleted: ${end.refused}.`)
    return undefined
  }
  if (end.unchecked) port.info("This system tells nothing of the action's proxy process, so it was not signalled; the runner ends the job's processes.")
  else if (!end.wasRunning) port.warning(`The action's proxy for later steps had stopped before the end of the job${end.stats?.stopped ? ` (${end.stats.stopped})` : ''}.`)
  port.info(`Later steps asked the action's proxy ${end.stats?.requests ?? 0} times.`)
  return laterStepsMarkdown(end)
}

async function saveBuild(state: BuildCacheState): Promise<string> {
  let report: BuildSaveReport
  try {
    report = await port.group('Save the build cache', () => saveBuildCache(state))
  } catch (e) {
    report = { state: 'failed', why: `save failed: ${(e as Error).message}`, entries: 0 }
  }
  if (report.state === 'failed') port.warning(`Build cache ${report.why}`)
  else port.info(`Build cache: ${report.why}`)
  return buildSaveMarkdown(report)
}
