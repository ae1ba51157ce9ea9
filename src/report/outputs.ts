// The step's outputs, from the run's facts, credentials masked. Pure.
import type { RunFacts } from './facts.ts'

export function stepOutputs(facts: RunFacts, mask: (text: string) => string): Record<string, string> {
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
