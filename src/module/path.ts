// Module paths as go checks them (golang.org/x/mod/module's CheckPath), and their escaped form
// in the proxy protocol and the module cache. A path that fails the check is never asked of a
// candidate nor turned into a file name: go itself never asks a proxy for one.
import { elementProblem, escapeCase, unescapeCase } from './elements.ts'

/** Why `path` is not a module path, or undefined when it is. */
export function modulePathProblem(path: string): string | undefined {
  if (path === '') return 'empty string'
  if (path.startsWith('-')) return 'leading dash'
  if (path.includes('//')) return 'double slash'
  if (path.endsWith('/')) return 'trailing slash'
  for (const elem of path.split('/')) {
    const problem = elementProblem(elem, 'module')
    if (problem) return problem
  }
  const first = path.split('/')[0] as string
  if (!first.includes('.')) return 'missing dot in first path element'
  // A domain name, all in lower case: the first element is never case-encoded.
  const bad = /[^a-z0-9.-]/.exec(first)
  if (bad) return `invalid char ${JSON.stringify(bad[0])} in first path element`
  if (splitPathVersion(path) === undefined) return 'invalid version'
  return undefined
}

/**
 * The path without its major-version suffix, and the suffix (`/vN` for N ≥ 2, or gopkg.in's
 * `.vN`), or undefined when the last element looks like a major version go does not accept.
 */
export function splitPathVersion(path: string): { prefix: string; major: string } | undefined {
  if (path.startsWith('gopkg.in/')) {
    const m = /^(.*)(\.v(\d+)(?:-unstable)?)$/.exec(path)
    if (!m) return undefined
    const major = m[2] as string
    if ((m[3] as string).startsWith('0') && major !== '.v0') return undefined
    return { prefix: m[1] as string, major }
  }
  const m = /\/v([0-9.]+)$/.exec(path)
  // No trailing `/v<digits and dots>`: a path without a major version.
  if (!m) return { prefix: path, major: '' }
  const suffix = m[1] as string
  if (suffix.includes('.') || suffix.startsWith('0') || suffix === '1') return undefined
  return { prefix: path.slice(0, m.index), major: `/v${suffix}` }
}

/** The path as the protocol and the module cache spell it; throws on a path that is not a module path. */
export function escapePath(path: string): string {
  const problem = modulePathProblem(path)
  if (problem) throw new Error(`malformed module path ${JSON.stringify(path)}: ${problem}`)
  return escapeCase(path)
}

/** The module path an escaped one stands for, or undefined when it is not one go could have written. */
export function unescapePath(escaped: string): string | undefined {
  const path = unescapeCase(escaped)
  return path !== undefined && modulePathProblem(path) === undefined ? path : undefined
}
