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
// The micro signs are escaped: one character beyond Latin-1 in a bundle's source makes V8 hold
// all of it in two bytes a character (440 KB more for dist/index.js).
const GO_DURATION = /^(\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/

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
  // Each form from the value rounded as it shows it, so that 59.99 s reads 1m00s, never 60.0s.
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`
  const tenths = Math.round(ms / 100)
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`
  const seconds = Math.round(ms / 1000)
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
  const minutes = Math.round(ms / 60_000)
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`
}
