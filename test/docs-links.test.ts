// Every relative link in README.md, the other top-level markdown files and docs/*.md points to a
// file that exists and, where it names one, to a heading that file has: docs moved out of the
// README must not leave links behind that go nowhere.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { anchors, brokenLinks, relativeLinks, slug } from '../scripts/docs-links.ts'

const root = path.join(import.meta.dirname, '..')

function projectMarkdown(): Map<string, string> {
  const names = [
    ...readdirSync(root).filter(n => n.endsWith('.md')),
    ...readdirSync(path.join(root, 'docs'))
      .filter(n => n.endsWith('.md'))
      .map(n => `docs/${n}`)
  ]
  return new Map(names.map(n => [n, readFileSync(path.join(root, n), 'utf8')]))
}

describe('the project’s markdown links', () => {
  it('all point to a file that exists and a heading it has', () => {
    const files = projectMarkdown()
    expect(files.has('README.md') && files.has('docs/how-it-decides.md')).toBe(true)
    expect(brokenLinks(files, f => existsSync(path.join(root, f)))).toEqual([])
  })

  it('README.md links the docs it moved out', () => {
    const links = relativeLinks(readFileSync(path.join(root, 'README.md'), 'utf8'))
    for (const doc of ['docs/how-it-decides.md', 'docs/benchmarks.md', 'docs/development.md', 'docs/cli.md', 'CHANGELOG.md']) {
      expect(links.some(l => l.split('#')[0] === doc), doc).toBe(true)
    }
  })
})

describe('brokenLinks', () => {
  const files = new Map([
    ['README.md', '# Title\n\n## The `cache` input: 5 s\n\nSee [a](docs/a.md#a-heading), [b](#the-cache-input-5-s) and [img](docs/chart.svg).\n'],
    ['docs/a.md', '# A\n\n## A heading\n\n## A heading\n\nBack to [the top](../README.md#title), [the second](#a-heading-1).\n']
  ])
  const onDisk = (f: string) => f === 'docs/chart.svg'

  it('passes links to files and headings that exist', () => {
    expect(brokenLinks(files, onDisk)).toEqual([])
  })

  it('names a link to a missing file, a missing heading, and one out of the repository', () => {
    const bad = new Map(files)
    bad.set('docs/b.md', 'See [gone](gone.md), [no heading](a.md#nothing), [here](#nowhere), [out](../../x.md) and [svg anchor](chart.svg#x).\n')
    expect(brokenLinks(bad, onDisk)).toEqual([
      'docs/b.md: gone.md (no file docs/gone.md)',
      'docs/b.md: a.md#nothing (docs/a.md has no heading #nothing)',
      'docs/b.md: #nowhere (docs/b.md has no heading #nowhere)',
      'docs/b.md: ../../x.md (outside the repository)',
      'docs/b.md: chart.svg#x (docs/chart.svg is not one of the checked markdown files)'
    ])
  })

  it('ignores links in code, and links that leave the repository', () => {
    const md = '```md\n[x](missing.md)\n```\n\n`[y](missing.md)` and [site](https://example.com/x.md) and [mail](mailto:a@example.com)\n'
    expect(relativeLinks(md)).toEqual([])
  })
})

describe('anchors', () => {
  it('are GitHub’s: lower case, code and punctuation dropped, emoji gone, repeats numbered', () => {
    expect(slug('Restore only, on pull requests')).toBe('restore-only-on-pull-requests')
    expect(slug('`vendor/` and no go.sum')).toBe('vendor-and-no-gosum')
    expect(slug('✅ Go modules ready')).toBe('-go-modules-ready')
    expect([...anchors('# A\n## A\n```\n# not a heading\n```\n## A ##\n')]).toEqual(['a', 'a-1', 'a-2'])
  })
})
