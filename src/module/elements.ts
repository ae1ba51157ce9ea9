// The pieces go's module paths and versions are made of (golang.org/x/mod/module): path
// elements, and the case encoding that keeps them apart on case-insensitive file systems.
// Every rule here is go's; the property tests check them against go's own code.

/** How an element is checked: as part of a module path, or as a file name (a version). */
export type ElementKind = 'module' | 'file'

/** Names Windows reserves, in any case, with or without an extension. */
const WINDOWS_RESERVED = new Set(['CON', 'PRN', 'AUX', 'NUL', ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap(n => [`COM${n}`, `LPT${n}`])])

/** ASCII letters, digits and `-._~`: all a module path element may hold. */
const MODULE_CHAR = /^[A-Za-z0-9\-._~]$/
/** A file name's ASCII characters: letters, digits, space and the punctuation that means nothing to a shell or a file system. */
const FILE_CHAR = /^[A-Za-z0-9!#$%&()+,\-.=@[\]^_{}~ ]$/

/**
 * Why `elem` cannot be an element of a path of `kind`, or undefined when it can (go's checkElem).
 * Only ASCII is ever accepted: go's escaping refuses anything else, so no request can name it.
 */
export function elementProblem(elem: string, kind: ElementKind): string | undefined {
  if (elem === '') return 'empty path element'
  // (`.` and `..` end in a dot: refused below.)
  if (kind === 'module' && elem.startsWith('.')) return 'leading dot in path element'
  if (elem.endsWith('.')) return 'trailing dot in path element'
  for (const c of elem) {
    if (!(kind === 'module' ? MODULE_CHAR : FILE_CHAR).test(c)) return `invalid char ${JSON.stringify(c)}`
  }
  const short = elem.split('.')[0] as string
  if (WINDOWS_RESERVED.has(short.toUpperCase())) return `"${short}" disallowed as path element component on Windows`
  // Windows short names (PROGRA~1): a tilde and nothing but digits after it, in a module path.
  if (kind === 'module' && /~\d+$/.test(short)) return 'trailing tilde and digits in path element'
  return undefined
}

/** The case encoding: each upper-case letter becomes `!` and its lower case. The text must hold no `!`. */
export function escapeCase(text: string): string {
  return text.replace(/[A-Z]/g, c => `!${c.toLowerCase()}`)
}

/**
 * The text an escaped one stands for, or undefined when it is not the encoding's own output:
 * an upper-case letter, a `!` not followed by a lower-case letter, or anything but ASCII.
 */
export function unescapeCase(escaped: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[A-Z]|[^\u0000-\u007f]|!(?![a-z])/.test(escaped)) return undefined
  return escaped.replace(/!([a-z])/g, (_, c: string) => c.toUpperCase())
}
