// Versions as the proxy protocol may name them (golang.org/x/mod/module's EscapeVersion and
// UnescapeVersion), and the canonical semantic versions go asks .mod and .zip files for.
import { elementProblem, escapeCase, unescapeCase } from './elements.ts'

/**
 * Why `version` cannot be named in a request, or undefined when it can: one file-name element,
 * without `!`. An .info may be asked for any such version (a branch, a commit); go asks .mod
 * and .zip files only for canonical versions.
 */
export function versionProblem(version: string): string | undefined {
  if (version.includes('!')) return 'disallowed version string'
  return elementProblem(version, 'file')
}

/** The version as the protocol and the module cache spell it; throws on one no request can name. */
export function escapeVersion(version: string): string {
  const problem = versionProblem(version)
  if (problem) throw new Error(`malformed version ${JSON.stringify(version)}: ${problem}`)
  return escapeCase(version)
}

/** The version an escaped one stands for, or undefined when it is not one go could have written. */
export function unescapeVersion(escaped: string): string | undefined {
  const version = unescapeCase(escaped)
  return version !== undefined && elementProblem(version, 'file') === undefined ? version : undefined
}

const NUMBER = '(?:0|[1-9][0-9]*)'
// A pre-release identifier: a number without leading zeros, or anything with a letter or a dash.
const IDENTIFIER = `(?:${NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`
const CANONICAL = new RegExp(`^v${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-${IDENTIFIER}(?:\\.${IDENTIFIER})*)?(?:\\+incompatible)?$`)

/**
 * Whether `version` is its own canonical form (module.CanonicalVersion): vMAJOR.MINOR.PATCH,
 * an optional pre-release, no build metadata but `+incompatible`. What go.sum lines hold.
 */
export function isCanonicalVersion(version: string): boolean {
  return CANONICAL.test(version)
}
