// Durations as users write them in workflow YAML: Go's syntax (`90s`, `1m30s`, `1.5h`)
// or a plain number of seconds.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000
}

const PLAIN_SECONDS = /^\d+(\.\d+)?$/
const GO_DURATION = /^(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim()
  if (PLAIN_SECONDS.test(s)) return Number(s) * 1000
  if (s === '') return undefined
  let rest = s
  let total = 0
  while (rest !== '') {
    const m = GO_DURATION.exec(rest)
    if (!m) return undefined
    total += Number(m[1]) * (UNIT_MS[m[3] as string] as number)
    rest = rest.slice(m[0].length)
  }
  return total
}

/** Short human form for logs and the summary: `850ms`, `12.4s`, `3m05s`, `2h00m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  if (ms >= 3_600_000) return `${Math.floor(ms / 3_600_000)}h${String(Math.round((ms % 3_600_000) / 60_000)).padStart(2, '0')}m`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  return `${minutes}m${String(seconds).padStart(2, '0')}s`
}
