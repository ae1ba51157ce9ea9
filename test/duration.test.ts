import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration } from '../src/util/duration.ts'

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['1m30s', 90_000],
    ['10m', 600_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['2h45m10s', 9_910_000],
    ['1500us', 1.5],
    ['30', 30_000],
    ['0.5', 500],
    [' 5s ', 5000],
    ['0', 0]
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms))

  it.each(['', 's', '5 s', '-5s', '5d', '1m-30s', 'abc', '5s5', '1e3s'])('rejects %j', text =>
    expect(parseDuration(text)).toBeUndefined()
  )
})

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [12_400, '12.4s'],
    [185_000, '3m05s'],
    [7_200_000, '2h00m'],
    [5_400_000, '1h30m']
  ])('%d ms reads %s', (ms, text) => expect(formatDuration(ms)).toBe(text))
})

describe('durations, at their edges', () => {
  it.each([
    ['0.25', 250],
    ['1.25s', 1250],
    ['.25s', 250],
    ['1.s', 1000]
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms))

  it.each([
    [999, '999ms'],
    [1000, '1.0s'],
    [59_000, '59.0s'],
    [60_000, '1m00s'],
    [3_599_000, '59m59s'],
    [3_600_000, '1h00m']
  ])('%d ms reads %s', (ms, text) => expect(formatDuration(ms)).toBe(text))

  // Rounded as shown, never past the unit it shows: no 60.0s, 59m60s or 1h60m.
  it.each([
    [999.6, '1.0s'],
    [59_960, '1m00s'],
    [3_599_600, '1h00m'],
    [7_170_000, '2h00m'],
    [5_399_999, '1h30m']
  ])('%d ms, at a unit’s edge, reads %s', (ms, text) => expect(formatDuration(ms)).toBe(text))
})
