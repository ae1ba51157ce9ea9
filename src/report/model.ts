// What every renderer of the run's report draws from (the job summary's markdown, the
// terminal's tables): sections of rows and notes, each cell the action's words or quoted ones.

/** Words from outside (go's error line, a server's, a cache service's key), and module paths and versions: shown verbatim in a code span. */
export interface Quoted {
  quoted: string
}

/** What a cell or a note says: the action's words (shown as plain text, never markup) and quoted ones. */
export type Text = string | Quoted | (string | Quoted)[]

export const quoted = (text: string): Quoted => ({ quoted: text })

export interface Section {
  heading: string
  /** One line that says what the section holds, shown when it is folded. */
  summary?: Text
  /** Shown open; the other sections are folded under their summary line. */
  open?: boolean
  header: string[]
  rows: Text[][]
  /** Shown under the table: why rows are missing or were overruled, and what a reader can fix. */
  notes?: Text[]
}

export interface SummaryModel {
  /** The headline: the story of the run on one line. */
  title: Text
  failure?: string
  sections: Section[]
}
