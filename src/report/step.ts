// What the step leaves behind: outputs and the job summary, with credentials masked. Pure: the
// renderers are under src/report/; the Action's front door (src/action/outputs.ts) sets them.
import { maskSecrets } from '../util/credentials.ts'
import type { RunFacts } from './facts.ts'
import { renderSummary } from './job-summary.ts'
import { stepOutputs } from './outputs.ts'
import { buildSummary } from './summary.ts'

/** The step's outputs, by name, as action.yml lists them. */
export function reportOutputs(facts: RunFacts, secrets: string[]): Record<string, string> {
  return stepOutputs(facts, text => maskSecrets(text, secrets))
}

/** The job summary's markdown. */
export function reportMarkdown(facts: RunFacts, secrets: string[]): string {
  const mask = (text: string) => maskSecrets(text, secrets)
  // Masked as text, before escaping, and again as markdown.
  return mask(renderSummary(buildSummary(facts), mask))
}
