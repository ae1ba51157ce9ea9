// What a release publishes must agree with itself: the Marketplace's rules for action.yml, a
// publishable package.json, a CHANGELOG.md section for the version the release workflow's tag
// must equal, and README install lines that name this package, this repository and this major.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { changelogSection } from '../scripts/changelog.ts'

const root = path.join(import.meta.dirname, '..')
const read = (file: string) => readFileSync(path.join(root, file), 'utf8')

interface ActionYml {
  name: string
  description: string
  branding: { icon: string; color: string }
  inputs: Record<string, { description: string }>
  outputs: Record<string, { description: string }>
}
const action = parse(read('action.yml')) as ActionYml
const pkg = JSON.parse(read('package.json')) as Record<string, unknown>
const version = pkg.version as string
const major = version.split('.')[0] as string
// The repository as package.json names it: github.com/<owner>/<name>.
const repo = /github\.com\/([^/]+\/[^/.#]+)/.exec((pkg.repository as { url: string }).url)?.[1] as string

describe('action.yml fits the Marketplace', () => {
  it('has a name, a description under 125 characters, and branding from the allowed colours', () => {
    expect(action.name.trim()).not.toBe('')
    expect(action.description.length).toBeLessThan(125)
    expect(['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']).toContain(action.branding.color)
    expect(action.branding.icon).toMatch(/^[a-z0-9-]+$/)
  })

  it('describes every input and output', () => {
    for (const [name, entry] of [...Object.entries(action.inputs), ...Object.entries(action.outputs)]) {
      expect(entry.description.trim(), name).not.toBe('')
    }
  })
})

describe('package.json is publishable', () => {
  it('is go-mod-download, not private, at a semver version, with one repository behind every link', () => {
    expect(pkg.name).toBe('go-mod-download')
    expect(pkg.private).toBeUndefined()
    expect(version).toMatch(/^\d+\.\d+\.\d+$/)
    expect(pkg.license).toBe('MIT')
    expect(repo).toMatch(/^[\w.-]+\/[\w.-]+$/)
    expect(pkg.homepage).toBe(`https://github.com/${repo}#readme`)
    expect((pkg.bugs as { url: string }).url).toBe(`https://github.com/${repo}/issues`)
  })

  it('has its version described in CHANGELOG.md, below Unreleased (the release workflow refuses otherwise)', () => {
    const changelog = read('CHANGELOG.md')
    expect(changelogSection(changelog, `v${version}`)).not.toBe('')
    expect(changelog.indexOf('## [Unreleased]')).toBeLessThan(changelog.indexOf(`## [${version}]`))
    expect(read('package-lock.json')).toContain(`"name": "${pkg.name as string}",\n  "version": "${version}"`)
  })
})

describe('the README’s install lines', () => {
  it('pin the Action by this repository’s major tag and install this package’s major', () => {
    const readme = read('README.md')
    expect(readme).toContain(`uses: ${repo}@v${major}\n`)
    expect(readme).toContain(`npx go-mod-download@${major}`)
    expect(readme).toContain('npm install -g go-mod-download')
    const uses = [...readme.matchAll(/uses: ([\w.-]+\/[\w.-]+)@/g)].map(m => m[1]).filter(r => !r?.startsWith('actions/'))
    expect(new Set(uses)).toEqual(new Set([repo]))
  })
})
