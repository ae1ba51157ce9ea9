// The relative links of the project's markdown: each must name a file that exists and, when it
// names a heading (`file.md#anchor`, `#anchor`), a heading that file has, as GitHub anchors it.
// Pure: the files come in as text, and whether a path exists is asked of the caller.
import path from 'node:path'

/** Each line of `markdown` that is prose, not inside a fenced code block. */
function proseLines(markdown: string): string[] {
  const lines: string[] = []
  let fence: string | undefined
  for (const line of markdown.split('\n')) {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line)
    if (m) {
      const marker = m[1] as string
      if (fence === undefined) fence = marker
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = undefined
      continue
    }
    if (fence === undefined) lines.push(line)
  }
  return lines
}

/** A heading's anchor as GitHub writes it: lower case, punctuation and symbols dropped, spaces as hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

/** The anchors of every heading in `markdown`; a repeated one gets `-1`, `-2`… as on GitHub. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const found = new Set<string>()
  for (const line of proseLines(markdown)) {
    const m = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!m) continue
    const base = slug(m[1] as string)
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    found.add(n === 0 ? base : `${base}-${n}`)
  }
  return found
}

/** The targets of the inline links and images in `markdown` that stay in the repository. */
export function relativeLinks(markdown: string): string[] {
  const targets: string[] = []
  for (const line of proseLines(markdown)) {
    const text = line.replace(/(`+)(?:(?!\1).)*?\1/g, '')
    for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1] as string
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue
      targets.push(target)
    }
  }
  return targets
}

/**
 * Every link of `files` (repository-relative path → markdown) that points nowhere, as
 * `file: target (why)`. `exists` answers for a repository-relative path; headings are read
 * from `files` when the target is one of them, and a target outside it with an anchor is broken.
 */
export function brokenLinks(files: ReadonlyMap<string, string>, exists: (file: string) => boolean): string[] {
  const broken: string[] = []
  for (const [file, markdown] of files) {
    for (const target of relativeLinks(markdown)) {
      const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined]
      const linked = rawPath === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURI(rawPath)))
      if (linked.startsWith('../')) {
        broken.push(`${file}: ${target} (outside the repository)`)
        continue
      }
      if (!files.has(linked) && !exists(linked)) {
        broken.push(`${file}: ${target} (no file ${linked})`)
        continue
      }
      if (anchor === undefined || anchor === '') continue
      const text = files.get(linked)
      if (text === undefined) broken.push(`${file}: ${target} (${linked} is not one of the checked markdown files)`)
      else if (!anchors(text).has(anchor)) broken.push(`${file}: ${target} (${linked} has no heading #${anchor})`)
    }
  }
  return broken
}
