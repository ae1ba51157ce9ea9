// CHANGELOG.md in Keep a Changelog form: `## [1.2.3] - 2026-12-04` sections, newest first.

/** The body of the section for `version` (a leading `v` is ignored); throws when it is missing or empty. */
export function changelogSection(changelog: string, version: string): string {
  const wanted = version.replace(/^v/, '')
  const lines = changelog.split('\n')
  const start = lines.findIndex(line => new RegExp(`^## \\[${wanted.replace(/\./g, '\\.')}\\]`).test(line))
  if (start < 0) throw new Error(`CHANGELOG.md has no section for ${wanted}`)
  const end = lines.findIndex((line, i) => i > start && /^## /.test(line))
  const body = lines
    .slice(start + 1, end < 0 ? undefined : end)
    .filter(line => !/^\[[^\]]+\]: /.test(line))
    .join('\n')
    .trim()
  if (body === '') throw new Error(`CHANGELOG.md's section for ${wanted} is empty`)
  return body
}
