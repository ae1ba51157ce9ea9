// The release workflow's notes: a version's CHANGELOG.md section, or a refusal to release undescribed.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { changelogSection } from '../scripts/changelog.ts'

const CHANGELOG = `# Changelog

## [Unreleased]

### Fixed
- a later fix

## [1.1.0] - 2027-01-10

### Added
- a feature

## [1.0.0] - 2026-12-20

### Added
- everything

[Unreleased]: https://example.com/compare/v1.1.0...HEAD
[1.1.0]: https://example.com/compare/v1.0.0...v1.1.0
`

describe('changelogSection', () => {
  it('is the version’s section alone, with or without the tag’s v', () => {
    expect(changelogSection(CHANGELOG, 'v1.1.0')).toBe('### Added\n- a feature')
    expect(changelogSection(CHANGELOG, '1.0.0')).toBe('### Added\n- everything')
  })

  it('refuses a version that is missing or says nothing, and does not take 1.0.0 for 1.0.01', () => {
    expect(() => changelogSection(CHANGELOG, 'v2.0.0')).toThrow('no section for 2.0.0')
    expect(() => changelogSection('## [1.2.0] - 2027-02-01\n\n## [1.1.0]\n- x\n', 'v1.2.0')).toThrow('is empty')
    expect(() => changelogSection(CHANGELOG, 'v1x0x0')).toThrow('no section')
  })

  it('finds the Unreleased section of the project’s own CHANGELOG.md', () => {
    const own = readFileSync(path.join(import.meta.dirname, '..', 'CHANGELOG.md'), 'utf8')
    expect(own).toMatch(/^## \[Unreleased\]/m)
  })
})
