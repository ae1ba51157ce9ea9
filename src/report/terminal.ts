// The run's summary as a terminal shows it: the same model as the job summary's markdown, as
// aligned text tables. Every word is shown with its control characters made visible.
import { visible } from '../util/untrusted.ts'
import type { SummaryModel, Text } from './model.ts'

// The action's words too: some carry a file's name (a zip entry's, from the module cache) or go's.
const plainText = (text: Text): string => visible((Array.isArray(text) ? text : [text]).map(part => (typeof part === 'string' ? part : part.quoted)).join('').replace(/\s*[\r\n]+\s*/g, ' '))

/** Columns as wide as their widest cell (counted in code points: close enough for the emoji of the verdicts). */
export function textTable(header: string[], rows: Text[][]): string {
  const cells = [header, ...rows.map(row => row.map(plainText))]
  const widths = header.map((_, i) => Math.max(...cells.map(row => [...(row[i] ?? '')].length)))
  const line = (row: string[]) => row.map((cell, i) => cell + ' '.repeat((widths[i] ?? 0) - [...cell].length)).join('  ').trimEnd()
  return [line(cells[0] as string[]), line(widths.map(w => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n')
}

export function renderTerminal(model: SummaryModel, redact: (text: string) => string = t => t): string {
  const parts = [redact(plainText(model.title))]
  if (model.failure) parts.push(redact(model.failure.split('\n').map(visible).join('\n')))
  for (const section of model.sections) {
    const lines = [section.heading]
    if (section.rows.length > 0) lines.push(redact(textTable(section.header, section.rows)))
    for (const note of section.notes ?? []) lines.push(`  ${redact(plainText(note))}`)
    if (section.rows.length === 0 && !section.notes?.length) lines.push('  none')
    parts.push(lines.join('\n'))
  }
  return `${parts.join('\n\n')}\n`
}
