// What the step leaves behind on the runner: its outputs and the job summary (src/report/step.ts
// decides both, masked).
import * as core from '@actions/core'
import { appendFile } from 'node:fs/promises'
import { reportMarkdown, reportOutputs } from '../report/step.ts'
import type { RunFacts } from '../report/facts.ts'
import { inert } from '../util/untrusted.ts'

export async function writeReport(facts: RunFacts, secrets: string[]): Promise<void> {
  for (const [name, value] of Object.entries(reportOutputs(facts, secrets))) core.setOutput(name, value)
  await writeSummary(reportMarkdown(facts, secrets))
}

/** Appended to the job summary; printed to the log, as text, where there is none. */
export async function writeSummary(markdown: string): Promise<void> {
  // Appended directly: core.summary remembers the first file it wrote, which a second run in one process must not reuse.
  const file = process.env.GITHUB_STEP_SUMMARY
  if (file) await appendFile(file, markdown)
  else core.info(inert(markdown))
}
