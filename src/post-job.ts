// The post step: after the job's builds and tests, it saves the build cache the main step
// restored. A failure only warns: the job's work is done by now.
import * as core from '@actions/core'
import { appendFile } from 'node:fs/promises'
import { BUILD_STATE, type BuildCacheState, type BuildSaveReport, saveBuildCache } from './cache/build.ts'
import { formatDuration } from './duration.ts'
import { formatSize } from './summary.ts'

export async function runPost(): Promise<void> {
  const state = core.getState(BUILD_STATE)
  // The main step leaves no state when there is nothing to save (the input is off, or it failed).
  if (!state) return
  let report: BuildSaveReport
  try {
    report = await core.group('Save the build cache', () => saveBuildCache(JSON.parse(state) as BuildCacheState))
  } catch (e) {
    report = { state: 'failed', why: `save failed: ${(e as Error).message}`, entries: 0 }
  }
  if (report.state === 'failed') core.warning(`Build cache ${report.why}`)
  else core.info(`Build cache: ${report.why}`)
  const markdown = [
    '#### Build cache, saved after the job',
    '| Save | Key | Entries used or written by the job |',
    '| --- | --- | --- |',
    `| ${[report.why, formatSize(report.bytes), report.durationMs === undefined ? '' : formatDuration(report.durationMs)].filter(Boolean).join(', ')} | ${report.key ?? '—'} | ${report.entries} |`,
    ''
  ].join('\n')
  const file = process.env.GITHUB_STEP_SUMMARY
  if (file) await appendFile(file, markdown)
}
