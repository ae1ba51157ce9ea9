// What the step leaves behind: outputs and the job summary, with credentials masked. The
// renderers (src/report/) are pure; this is where their strings meet @actions/core and the
// summary file.
import * as core from '@actions/core'
import { appendFile } from 'node:fs/promises'
import { maskSecrets } from './credentials.ts'
import type { RunFacts } from './report/facts.ts'
import { renderSummary } from './report/job-summary.ts'
import { stepOutputs } from './report/outputs.ts'
import { buildSummary } from './report/summary.ts'
import { echo } from './untrusted.ts'

export async function writeReport(facts: RunFacts, secrets: string[]): Promise<void> {
  const mask = (text: string) => maskSecrets(text, secrets)
  for (const [name, value] of Object.entries(stepOutputs(facts, mask))) core.setOutput(name, value)
  // Masked as text, before escaping, and again as markdown.
  const markdown = mask(renderSummary(buildSummary(facts), mask))
  // Appended directly: core.summary remembers the first file it wrote, which a second run in one process must not reuse.
  const file = process.env.GITHUB_STEP_SUMMARY
  if (file) await appendFile(file, markdown)
  else echo(markdown)
}
