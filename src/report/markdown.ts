// Markdown for the job summary, the post step's and the job proxy's accounts: one table helper,
// and the escaping every cell and note goes through. The action's words show as plain text,
// never as markup; words from outside show verbatim in code spans; nothing breaks a table.
import type { Text } from './model.ts'

/** Masks secrets in text before it is escaped (escaped, a secret may no longer read as itself). */
export type Redact = (text: string) => string

const asIs: Redact = text => text

// Markdown that could make markup of the action's words: emphasis, links and images, HTML and
// entities, strikethrough, code; `_` only where it can start or end emphasis; a block marker at the start.
const MARKUP = /[\\`*[\]<>&~]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu
const BLOCK_START = /^[#+\-=]/
// A module path at a version (example.com/m@v1.0.0): GitHub would autolink it as an e-mail address.
const MODULE_AT_VERSION = /[^\s`@]+@v\d[^\s,;()]*(?<![.:])/gu

/** Text on one line, each module at a version in it rendered by `module`, the words around by `words` (told whether they start the text). */
function withModules(text: string, words: (text: string, atStart: boolean) => string, module: (text: string) => string): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, ' ')
  let out = ''
  let at = 0
  for (const match of flat.matchAll(MODULE_AT_VERSION)) {
    out += words(flat.slice(at, match.index), at === 0) + module(match[0])
    at = match.index + match[0].length
  }
  return out + words(flat.slice(at), at === 0)
}

/** The action's words as markdown that shows them as they are, on one line; a module at a version in a code span. */
function plain(text: string): string {
  return withModules(text, escaped, codeSpan)
}

const escaped = (text: string, atStart: boolean) => {
  const inline = text.replace(MARKUP, '\\$&')
  return atStart ? inline.replace(BLOCK_START, '\\$&') : inline
}

/** Words from outside as a code span: no markup, link or HTML of theirs is rendered. */
function codeSpan(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ')
  if (flat.trim() === '') return plain('—')
  const fence = '`'.repeat(Math.max(0, ...(flat.match(/`+/g) ?? []).map(run => run.length)) + 1)
  // CommonMark strips one space from each end, and a backtick at an end would join the fence.
  const pad = /^[` ]|[` ]$/.test(flat) ? ' ' : ''
  return `${fence}${pad}${flat}${pad}${fence}`
}

/** A cell's or a note's markdown. */
export function markdown(text: Text, redact: Redact = asIs): string {
  return (Array.isArray(text) ? text : [text]).map(part => (typeof part === 'string' ? plain(redact(part)) : codeSpan(redact(part.quoted)))).join('')
}

/** A fenced block that nothing in `text` can close. */
export function fenced(text: string): string {
  const fence = '`'.repeat(Math.max(2, ...(text.match(/`+/g) ?? []).map(run => run.length)) + 1)
  return `${fence}text\n${text}\n${fence}`
}

/**
 * A markdown table: every cell escaped (in a table, a | ends the cell even inside a code span).
 * GFM's row scanner takes a backslash pair as an escape of its own before it sees a pipe, so a
 * pipe is escaped by an odd run of backslashes: quoted words ending `\` before a `|` get one more
 * (shown in their code span, the one visible trace) rather than end the cell and the code span.
 */
export function table(header: string[], rows: Text[][], redact: Redact = asIs): string {
  const cell = (text: Text) => markdown(text, redact).replace(/(\\*)\|/g, (_, run: string) => `${run}${run.length % 2 === 1 ? '\\' : ''}\\|`)
  return [header.map(cell), header.map(() => '---'), ...rows.map(r => r.map(cell))].map(r => `| ${r.join(' | ')} |`).join('\n')
}

const HTML_SPECIAL = /[&<>"']/g
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const entities = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ').replace(HTML_SPECIAL, c => ENTITY[c] as string)
const code = (text: string) => `<code>${entities(text)}</code>`

/**
 * Text as HTML, for where markdown is not read (a folded section's summary line): the action's
 * words as text, a module at a version and words from outside in <code>.
 */
export function html(text: Text, redact: Redact = asIs): string {
  return (Array.isArray(text) ? text : [text])
    .map(part => {
      if (typeof part !== 'string') return code(redact(part.quoted))
      return withModules(redact(part), entities, code)
    })
    .join('')
}

/**
 * A folded section: its summary line shows, the rest opens on a click. The summary line is HTML
 * (GitHub reads no markdown inside it); the blank lines around the body let it read the body's.
 */
export function details(summary: Text, body: string[], redact: Redact = asIs): string {
  return [`<details><summary>${html(summary, redact)}</summary>`, ...body, '</details>'].join('\n\n')
}
