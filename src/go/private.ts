// Which modules go fetches `direct` whatever GOPROXY says, and which it never checks against the
// checksum database: go's own rules for GONOPROXY and GONOSUMDB (both default to GOPRIVATE; `go
// env` reports the value in effect), with its pattern matching (module.MatchPrefixPatterns over
// path.Match), so that the action asks no candidate what go would not, and says why go went direct.

/** Why go fetches a module direct by its settings: the setting the user wrote that covers it. */
export type PrivateReason = 'GOPRIVATE' | 'GONOPROXY'

export interface ModuleRouting {
  /** The setting that makes go fetch the module direct, never from a proxy; undefined when GOPROXY decides. */
  direct: (module: string) => PrivateReason | undefined
  /** Whether go leaves the module unchecked by the checksum database (GONOSUMDB). */
  unchecked: (module: string) => boolean
}

/**
 * go's routing of modules from `go env`: GONOPROXY as reported (GOPRIVATE unless set), and
 * GONOSUMDB likewise. A module GONOPROXY covers is named after GOPRIVATE when that is where the
 * value came from (the two are equal), after GONOPROXY when the user set it apart.
 */
export function moduleRouting(env: { GOPRIVATE: string; GONOPROXY: string; GONOSUMDB: string }): ModuleRouting {
  const reason: PrivateReason = env.GONOPROXY === env.GOPRIVATE ? 'GOPRIVATE' : 'GONOPROXY'
  return {
    direct: module => (matchPrefixPatterns(env.GONOPROXY, module) ? reason : undefined),
    unchecked: module => matchPrefixPatterns(env.GONOSUMDB, module)
  }
}

/** The modules go.sum and the project's go.mod files name: what go may ask for in this step. */
export interface Coverage {
  /** Every module is fetched direct by go's settings: no proxy is asked anything. */
  noProxy: boolean
  /** Every module is left unchecked by the checksum database: it is asked nothing. */
  noSumdb: boolean
  /** The settings that cover them all (for people), when noProxy. */
  reasons: PrivateReason[]
}

/** What go will not ask, over `modules` (none known: everything may be asked). */
export function coverage(modules: string[], routing: ModuleRouting): Coverage {
  const known = modules.length > 0
  const reasons = modules.map(m => routing.direct(m))
  return {
    noProxy: known && reasons.every(r => r !== undefined),
    noSumdb: known && modules.every(m => routing.unchecked(m)),
    reasons: [...new Set(reasons.filter(r => r !== undefined))]
  }
}

/** Whether `module` matches one of the comma-separated patterns: x/mod's module.MatchPrefixPatterns. */
export function matchPrefixPatterns(globs: string, target: string): boolean {
  for (const entry of globs.split(',')) {
    const glob = entry.endsWith('/') ? entry.slice(0, -1) : entry
    if (glob === '') continue
    // A glob of N+1 path elements is matched against the target's first N+1 elements.
    const elements = glob.split('/').length
    const parts = target.split('/')
    if (parts.length < elements) continue
    if (pathMatch(glob, parts.slice(0, elements).join('/'))) return true
  }
  return false
}

class BadPattern extends Error {}

/** go's path.Match: `*` and `?` never match a `/`, `[…]` classes with ranges and `^`, `\` escapes; a bad pattern matches nothing. */
export function pathMatch(pattern: string, name: string): boolean {
  try {
    return match(pattern, name)
  } catch (e) {
    if (e instanceof BadPattern) return false
    throw e
  }
}

function match(pattern: string, name: string): boolean {
  let rest = pattern
  outer: while (rest.length > 0) {
    const { star, chunk, after } = scanChunk(rest)
    rest = after
    // A trailing * matches the rest of the name unless it holds a /.
    if (star && chunk === '') return !name.includes('/')
    const here = matchChunk(chunk, name)
    if (here !== undefined && (here.length === 0 || rest.length > 0)) {
      name = here
      continue
    }
    if (star) {
      for (let i = 0; i < name.length && name[i] !== '/'; i++) {
        const skipped = matchChunk(chunk, name.slice(i + 1))
        if (skipped === undefined || (rest.length === 0 && skipped.length > 0)) continue
        name = skipped
        continue outer
      }
    }
    // No match: the rest of the pattern must still be well formed (else go reports a bad pattern).
    while (rest.length > 0) {
      const next = scanChunk(rest)
      rest = next.after
      matchChunk(next.chunk, '')
    }
    return false
  }
  return name.length === 0
}

/** The next chunk of single-character terms, and whether stars preceded it. */
function scanChunk(pattern: string): { star: boolean; chunk: string; after: string } {
  let i = 0
  while (pattern[i] === '*') i++
  const star = i > 0
  const body = pattern.slice(i)
  let inRange = false
  for (let j = 0; j < body.length; j++) {
    const c = body[j]
    if (c === '\\' && j + 1 < body.length) j++
    else if (c === '[') inRange = true
    else if (c === ']') inRange = false
    else if (c === '*' && !inRange) return { star, chunk: body.slice(0, j), after: body.slice(j) }
  }
  return { star, chunk: body, after: '' }
}

/** The rest of `s` after `chunk` matched its start, or undefined; throws BadPattern on a malformed chunk. */
function matchChunk(chunk: string, s: string): string | undefined {
  let failed = false
  while (chunk.length > 0) {
    failed ||= s.length === 0
    const c = chunk[0] as string
    if (c === '[') {
      let r = -1
      if (!failed) {
        r = s.codePointAt(0) as number
        s = s.slice(String.fromCodePoint(r).length)
      }
      chunk = chunk.slice(1)
      const negated = chunk[0] === '^'
      if (negated) chunk = chunk.slice(1)
      let matched = false
      for (let ranges = 0; ; ranges++) {
        if (chunk[0] === ']' && ranges > 0) {
          chunk = chunk.slice(1)
          break
        }
        const lo = escaped(chunk)
        let hi = lo
        chunk = lo.rest
        if (chunk[0] === '-') {
          hi = escaped(chunk.slice(1))
          chunk = hi.rest
        }
        matched ||= lo.rune <= r && r <= hi.rune
      }
      failed ||= matched === negated
    } else if (c === '?') {
      if (!failed) {
        failed = s[0] === '/'
        s = s.slice(String.fromCodePoint(s.codePointAt(0) as number).length)
      }
      chunk = chunk.slice(1)
    } else {
      if (c === '\\') {
        chunk = chunk.slice(1)
        if (chunk.length === 0) throw new BadPattern()
      }
      if (!failed) {
        failed = chunk[0] !== s[0]
        s = s.slice(1)
      }
      chunk = chunk.slice(1)
    }
  }
  return failed ? undefined : s
}

/** A possibly escaped character of a class, and what follows it (which must not be empty). */
function escaped(chunk: string): { rune: number; rest: string } {
  if (chunk.length === 0 || chunk[0] === '-' || chunk[0] === ']') throw new BadPattern()
  if (chunk[0] === '\\') {
    chunk = chunk.slice(1)
    if (chunk.length === 0) throw new BadPattern()
  }
  const rune = chunk.codePointAt(0) as number
  const rest = chunk.slice(String.fromCodePoint(rune).length)
  if (rest.length === 0) throw new BadPattern()
  return { rune, rest }
}
