// Module version order, as golang.org/x/mod/semver compares: vMAJOR[.MINOR[.PATCH]], then a
// pre-release (lower than the release; dot-separated, numeric parts by number, numeric before
// alphanumeric), build metadata (+incompatible) ignored. Pseudo-versions are pre-releases, so
// they order as go orders them. And Go versions (1.21, 1.21.3, 1.21rc1), for the `go` line.

interface Parsed {
  numbers: [number, number, number]
  prerelease: string[]
}

function parse(version: string): Parsed | undefined {
  const m = /^v(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(version)
  if (!m) return undefined
  return { numbers: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)], prerelease: m[4] ? m[4].split('.') : [] }
}

function comparePrerelease(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return a.length === 0 ? (b.length === 0 ? 0 : 1) : -1
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i]
    const y = b[i]
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1
    if (x === y) continue
    const xn = /^\d+$/.test(x)
    const yn = /^\d+$/.test(y)
    if (xn && yn) return x.length !== y.length ? x.length - y.length : x < y ? -1 : 1
    if (xn !== yn) return xn ? -1 : 1
    return x < y ? -1 : 1
  }
  return 0
}

/** Negative, zero or positive, as a sorts before, with or after b. An invalid version sorts first. */
export function compareVersions(a: string, b: string): number {
  const pa = parse(a)
  const pb = parse(b)
  if (!pa || !pb) return pa ? 1 : pb ? -1 : a < b ? -1 : a > b ? 1 : 0
  for (let i = 0; i < 3; i++) {
    const d = (pa.numbers[i] as number) - (pb.numbers[i] as number)
    if (d !== 0) return d
  }
  return comparePrerelease(pa.prerelease, pb.prerelease)
}

/** gover.Compare for `go` lines: 1.21 < 1.21rc1 < 1.21.0 < 1.21.1; a missing version is oldest. */
export function compareGoVersions(a: string | undefined, b: string | undefined): number {
  const key = (v: string | undefined): number[] => {
    const m = v && /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(v)
    if (!m) return [0, 0, -2, 0, 0]
    const kind = m[4] === 'beta' ? 0 : m[4] === 'rc' ? 1 : m[3] !== undefined ? 2 : -1
    return [Number(m[1]), Number(m[2] ?? 0), m[3] !== undefined ? Number(m[3]) : -1, kind, Number(m[5] ?? 0)]
  }
  const ka = key(a)
  const kb = key(b)
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] as number) - (kb[i] as number)
  return 0
}
