// What the step leaves behind: outputs and the job summary, with credentials masked. Pure: the
// Action's front door (src/action/outputs.ts) sets them.
import { maskSecrets } from './credentials.ts'
import { buildSummary, renderSummary, type RunFacts } from './summary.ts'

/** The step's outputs, by name, as action.yml lists them. */
export function reportOutputs(facts: RunFacts, secrets: string[]): Record<string, string> {
  const mask = (text: string) => maskSecrets(text, secrets)
  return {
    proxy: mask(facts.chosen ?? ''),
    goproxy: mask(facts.exported ?? ''),
    'cache-hit': String(facts.restore.state === 'exact'),
    'cache-key': facts.cacheKey ?? '',
    'build-cache-hit': String(facts.buildCache?.hit ?? false),
    attempts: String(facts.attempts.length),
    'direct-modules': mask((facts.direct ?? []).map(d => `${d.module}@${d.version}`).join('\n')),
    'direct-count': String(facts.direct?.length ?? 0)
  }
}

/** The job summary's markdown. */
export function reportMarkdown(facts: RunFacts, secrets: string[]): string {
  const mask = (text: string) => maskSecrets(text, secrets)
  // Masked as text, before escaping, and again as markdown.
  return mask(renderSummary(buildSummary(facts), mask))
}
