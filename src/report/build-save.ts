// The post step's account of the build cache it saved after the job. Pure.
import type { BuildSaveReport } from '../cache/build.ts'
import { formatDuration } from '../util/duration.ts'
import { formatSize } from '../util/size.ts'
import { table } from './markdown.ts'
import { quoted } from './model.ts'

export function buildSaveMarkdown(report: BuildSaveReport): string {
  const figures = [formatSize(report.bytes), report.durationMs === undefined ? '' : formatDuration(report.durationMs)].filter(Boolean).map(f => `, ${f}`).join('')
  return [
    '#### Build cache, saved after the job',
    '',
    table(
      ['Save', 'Key', 'Entries used or written by the job'],
      // A failed save's why quotes the cache process's log: the cache service's words.
      [[[report.state === 'failed' ? quoted(report.why) : report.why, figures], report.key ?? '—', String(report.entries)]]
    ),
    ''
  ].join('\n')
}
