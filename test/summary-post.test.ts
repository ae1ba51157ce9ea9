// The post step's accounts (later steps through the job's proxy, the build cache saved after the
// job) render through the same table helper as the step's summary: what they read from a file
// or a cache process cannot break a table, make markup, or go unquoted.
import { describe, expect, it } from 'vitest'
import { emptyStats } from '../src/fetch/stats.ts'
import { buildSaveMarkdown } from '../src/report/build-save.ts'
import { laterStepsMarkdown } from '../src/report/later-steps.ts'
import { details, html, table } from '../src/report/markdown.ts'

const rows = (markdown: string) => markdown.split('\n').filter(line => line.startsWith('|'))
/** The cells of a table row, split where an unescaped | ends one. */
const cells = (row: string) => row.slice(2, -2).split(/(?<!\\)\| /)

describe('the post step’s summary', () => {
  it('escapes a | and a line break in an upstream the job proxy’s stats file names', () => {
    const markdown = laterStepsMarkdown({
      wasRunning: true,
      stats: {
        requests: 1, served: 1, refused: 0, files: 1, zips: 0, bytes: 0, hedges: 0, retries: 0, rejected: 0,
        candidates: [{ display: 'https://a.example.com|b\n| forged | row |', stats: emptyStats() }]
      }
    })
    const table = rows(markdown).slice(-1)[0] as string
    expect(cells(table)).toHaveLength(7)
    expect(table).toContain('https://a.example.com\\|b \\| forged \\| row \\|')
  })

  it('quotes a failed save’s words from the cache process, and keeps them in their cell', () => {
    const markdown = buildSaveMarkdown({ state: 'failed', why: 'save failed: `x` | <b>y</b>', entries: 3, durationMs: 1500 })
    const row = rows(markdown)[2] as string
    expect(cells(row)).toHaveLength(3)
    expect(row).toBe('| ``save failed: `x` \\| <b>y</b>``, 1.5s | — | 3 |')
  })
})

describe('the one table helper', () => {
  it('escapes markup, HTML and backticks of the action’s words, and code-spans modules at versions', () => {
    expect(table(['a'], [['*x* <img> `y` example.com/m@v1.2.3-0.20200101000000-abcdef123456+incompatible.']])).toBe(
      '| a |\n| --- |\n| \\*x\\* \\<img\\> \\`y\\` `example.com/m@v1.2.3-0.20200101000000-abcdef123456+incompatible`. |'
    )
  })

  it('writes a folded section’s summary line as HTML: entities, and <code> for modules and quoted words', () => {
    expect(html(['a <b> & "c" example.com/m@v1.0.0 ', { quoted: '</summary><script>' }])).toBe(
      'a &lt;b&gt; &amp; &quot;c&quot; <code>example.com/m@v1.0.0</code> <code>&lt;/summary&gt;&lt;script&gt;</code>'
    )
    expect(details('Cache: miss', ['body'])).toBe('<details><summary>Cache: miss</summary>\n\nbody\n\n</details>')
  })
})
