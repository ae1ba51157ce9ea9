// Prints CHANGELOG.md's section for a version (`v1.2.3` or `1.2.3`): the release workflow's notes.
// Fails when the section is missing or empty, so that no release goes out undescribed.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { changelogSection } from './changelog.ts'

const version = process.argv[2]
if (!version) throw new Error('usage: release-notes <version>')
const text = readFileSync(path.join(import.meta.dirname, '..', 'CHANGELOG.md'), 'utf8')
process.stdout.write(`${changelogSection(text, version)}\n`)
