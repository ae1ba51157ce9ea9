// The run's trace (src/util/trace.ts), which the trace benchmark reads: written only when asked for,
// by the step alone (what it starts does not inherit the request), with its spans and threads.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Trace } from '../src/util/trace.ts'

const trace = path.join(import.meta.dirname, '../src/util/trace.ts')
/** A node process that traces one span and says whether it traces, and whether a child of its would be asked to. */
const script = `import { traced, tracing } from ${JSON.stringify(trace)}; await traced('work', () => new Promise(r => setTimeout(r, 20))); console.log(JSON.stringify([tracing, process.env.GO_MOD_DOWNLOAD_TRACE ?? null]))`

function runTraced(env: Record<string, string>): string {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' })
  expect(child.status, child.stderr).toBe(0)
  return child.stdout.trim()
}

describe('the trace', () => {
  it('is written at exit when GO_MOD_DOWNLOAD_TRACE names a file: spans, node milestones, CPU time of the thread and the process; children do not inherit it', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'trace-')), 'trace.json')
    expect(runTraced({ GO_MOD_DOWNLOAD_TRACE: file })).toBe('[true,null]')
    const written = JSON.parse(readFileSync(file, 'utf8')) as Trace
    expect(written.spans).toHaveLength(1)
    expect(written.spans[0]).toMatchObject({ name: 'work' })
    expect(written.spans[0]!.end - written.spans[0]!.start).toBeGreaterThanOrEqual(15)
    expect(written.node.bootstrapComplete).toBeGreaterThan(0)
    expect(written.threads.map(t => t.thread)).toEqual(['main', 'process'])
    expect(written.timeOrigin).toBeGreaterThan(Date.now() - 60_000)
  })

  it('writes a new file only: an existing file, or a link to one, is left as it was', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'trace-'))
    const existing = path.join(dir, 'existing')
    writeFileSync(existing, 'keep')
    const link = path.join(dir, 'link')
    symlinkSync(existing, link)
    for (const file of [existing, link]) {
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, GO_MOD_DOWNLOAD_TRACE: file }, encoding: 'utf8' })
      expect(child.status).toBe(0)
      expect(child.stderr).toContain('trace not written')
    }
    expect(readFileSync(existing, 'utf8')).toBe('keep')
  })

  it('is off unless asked: nothing is kept, and no file is written', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'trace-'))
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, env: { ...process.env, GO_MOD_DOWNLOAD_TRACE: '' }, encoding: 'utf8' })
    expect(child.stdout.trim()).toBe('[false,""]')
    expect(readdirSync(cwd)).toEqual([])
  })
})
