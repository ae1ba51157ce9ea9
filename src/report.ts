// What the step leaves behind: outputs and the job summary, with credentials masked.
import * as core from '@actions/core'
import { appendFile } from 'node:fs/promises'
import { maskSecrets } from './credentials.ts'
import { buildSummary, renderSummary, type RunFacts } from './summary.ts'
import { echo } from './untrusted.ts'

export async function writeReport(facts: RunFacts, secrets: string[]): Promise<void> {
  const mask = (text: string) => maskSecrets(text, secrets)
  core.setOutput('proxy', mask(facts.chosen ?? ''))
  core.setOutput('goproxy', mask(facts.exported ?? ''))
  core.setOutput('cache-hit', String(facts.restore.state === 'exact'))
  core.setOutput('cache-key', facts.cacheKey ?? '')
  core.setOutput('build-cache-hit', String(facts.buildCache?.hit ?? false))
  core.setOutput('attempts', String(facts.attempts.length))
  core.setOutput('direct-modules', mask((facts.direct ?? []).map(d => `${d.module}@${d.version}`).join('\n')))
  core.setOutput('direct-count', String(facts.direct?.length ?? 0))
  // Masked as text, before escaping, and again as markdown.
  const markdown = mask(renderSummary(buildSummary(facts), mask))
  // Appended directly: core.summary remembers the first file it wrote, which a second run in one process must not reuse.
  const file = process.env.GITHUB_STEP_SUMMARY
  if (file) await appendFile(file, markdown)
  else echo(markdown)
}
