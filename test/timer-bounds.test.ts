// Duration inputs have an upper bound, and no timer the action sets can overflow: node fires a
// timer of more than 2^31-1 ms at once (TimeoutOverflowWarning), which turned
// `cache-timeout: 1000h` into a restore abandoned as soon as it started.
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseDuration } from '../src/util/duration.ts'
import { InputError, MAX_DURATION_MS, parseSettings } from '../src/engine/inputs.ts'
import { hedgeAfterMs, probeCutoffMs, stallWindowMs, stallCheckEveryMs, withDeadline } from '../src/util/timing.ts'
import { type AnyCandidate, startAnyCandidate } from './support/any-candidate.ts'
import { runScenario } from './support/scenario.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

const NODE_TIMER_MAX_MS = 2 ** 31 - 1
const DURATIONS = ['probe-timeout', 'timeout', 'stall-timeout', 'cache-timeout', 'later-steps-idle-timeout'] as const

const workspace = mkdtempSync(path.join(os.tmpdir(), 'bounds-'))
writeFileSync(path.join(workspace, 'go.mod'), 'module example.com/bounds\n\ngo 1.21\n')
const settingsWith = (name: string, value: string) => parseSettings(n => (n === name ? value : ''), workspace)

describe('duration inputs', () => {
  it.each(DURATIONS)('%s: 120h is the most, and more is an error naming the input', name => {
    expect(MAX_DURATION_MS).toBe(parseDuration('120h'))
    expect(() => settingsWith(name, '120h')).not.toThrow()
    for (const over of ['120h0m1s', '121h', '1000h', '999999999999999999999']) {
      let error: unknown
      try {
        settingsWith(name, over)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(InputError)
      expect((error as InputError).message).toBe(`Input "${name}": "${over}" is longer than the 120h00m allowed (no job runs longer)`)
    }
  })

  it('at the bound, every timer derived from a duration input stays within node’s timers', () => {
    // The hedge waits 4× the usual first byte, which the silence limit (≤ stall-timeout) or the probe timeout bounds.
    expect(hedgeAfterMs(MAX_DURATION_MS)).toBeLessThanOrEqual(NODE_TIMER_MAX_MS)
    expect(stallWindowMs(MAX_DURATION_MS, MAX_DURATION_MS)).toBeLessThanOrEqual(NODE_TIMER_MAX_MS)
    expect(probeCutoffMs(MAX_DURATION_MS, MAX_DURATION_MS)).toBeLessThanOrEqual(NODE_TIMER_MAX_MS)
    expect(stallCheckEveryMs(MAX_DURATION_MS)).toBeLessThanOrEqual(NODE_TIMER_MAX_MS)
  })

  it('a deadline at the bound waits for the work (past 2^31-1 ms node would have fired it at once)', async () => {
    await expect(withDeadline(sleep(50).then(() => 'done'), MAX_DURATION_MS, 'the restore')).resolves.toBe('done')
  })
})

describe('a run with cache-timeout: 1000h', () => {
  let universe: Universe
  let candidate: AnyCandidate
  beforeAll(async () => {
    universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 1 })
    candidate = await startAnyCandidate()
  })
  afterAll(() => candidate.close())

  it('fails at once naming the input, before any request', async () => {
    const run = await runScenario(universe, { proxies: candidate.url, 'cache-timeout': '1000h' })
    expect(run.failed).toBe(true)
    expect(run.log).toContain('::error::Input "cache-timeout": "1000h" is longer than the 120h00m allowed (no job runs longer)')
    expect(candidate.requests).toEqual([])
  })
})
