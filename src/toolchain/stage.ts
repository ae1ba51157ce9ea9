// The toolchain stage: the toolchain go switches to, on PATH before go needs it: from the
// runner's tool cache at once, else fetched through the chain once the probe has found it.
// Each step returns its report and writes its own log lines.
import { port } from '../engine/port.ts'
import { formatDuration } from '../util/duration.ts'
import type { AttemptRecord } from '../download/retry.ts'
import { fetchToolchain, type ToolchainFetch, type ToolchainReport, toolchainFromToolCache } from './provide.ts'
import type { ToolchainChoice } from './select.ts'

/** The toolchain from the runner's tool cache, when it is there. */
export async function toolchainOnRunner(choice: ToolchainChoice, installed: string): Promise<ToolchainReport | undefined> {
  const report = await toolchainFromToolCache(choice, installed)
  if (report) port.info(describeToolchain(report))
  return report
}

/**
 * go fetches the toolchain it will switch to through the chain, watched, retried and failed
 * over like the modules (the speculative fetch of the modules goes on meanwhile); then it is
 * installed. Not through the local proxy: it cannot check a toolchain (go.sum does not name it;
 * go checks it against the checksum database), and relaying its 70 MiB cost 1.5 s on a real
 * link. A candidate that serves a wrong toolchain fails go's check and goes behind the others.
 * Its attempts are listed with the download's; its zip is a toolchain, not a module.
 */
export async function toolchainThroughChain(o: ToolchainFetch): Promise<{ report?: ToolchainReport; attempts: AttemptRecord[] }> {
  const { report, result } = await fetchToolchain(o)
  const attempts = result.attempts.map(a => ({ ...a, zips: 0, detail: `toolchain ${o.choice.name}${a.detail ? `: ${a.detail}` : ''}` }))
  if (report) port.info(describeToolchain(report))
  return { ...(report ? { report } : {}), attempts }
}

function describeToolchain(t: ToolchainReport): string {
  return `Toolchain ${t.wanted} (installed: ${t.installed}): ${t.source === 'tool cache' ? 'from the runner’s tool cache' : 'fetched through the chain and put in the tool cache'} in ${formatDuration(t.durationMs)}; go finds it on PATH as ${t.wanted}.`
}
