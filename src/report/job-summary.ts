// The job summary's markdown: the headline and the open sections (the proxies) first, what
// stopped the run in a block of its own, every other section folded under its summary line.
import { details, fenced, markdown, type Redact, table } from './markdown.ts'
import type { Section, SummaryModel } from './model.ts'

export function renderSummary(model: SummaryModel, redact: Redact = t => t): string {
  const parts = [`### ${markdown(model.title, redact)}`]
  if (model.failure) parts.push(fenced(redact(model.failure)))
  for (const section of model.sections) {
    const body = sectionBody(section, redact)
    if (section.open || section.summary === undefined) parts.push(`#### ${section.heading}`, ...body)
    else parts.push(details([`${section.heading}: `, ...[section.summary].flat()], body, redact))
  }
  return parts.join('\n\n') + '\n'
}

function sectionBody(section: Section, redact: Redact): string[] {
  const body = section.rows.length > 0 ? [table(section.header, section.rows, redact)] : []
  for (const note of section.notes ?? []) body.push(`> ${markdown(note, redact)}`)
  return body.length > 0 ? body : ['_None._']
}
