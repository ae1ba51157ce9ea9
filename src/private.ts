// GOPRIVATE / GONOPROXY: modules that must never be asked of a public proxy.

/** Go's path.Match for one path element: `*`, `?` and `[...]` never cross a `/`. */
function elementPattern(glob: string): RegExp {
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '*') source += '[^/]*'
    else if (c === '?') source += '[^/]'
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1)
      if (end < 0) return /(?!)/
      source += `[${glob.slice(i + 1, end)}]` // go's [^...] and JS's agree
      i = end
    } else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}

/** module.MatchPrefixPatterns: a pattern matches a module whose leading path elements it matches. */
export function privateMatcher(...patternLists: string[]): (module: string) => boolean {
  const patterns = patternLists
    .flatMap(list => list.split(','))
    .map(p => p.trim().replace(/\/+$/, ''))
    .filter(p => p !== '')
    .map(p => p.split('/').map(elementPattern))
  return module => {
    const elements = module.split('/')
    return patterns.some(
      pattern => pattern.length <= elements.length && pattern.every((re, i) => re.test(elements[i] as string))
    )
  }
}
