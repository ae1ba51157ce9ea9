// The fetch's time rules as numbers: the body's hedge window and slow rate, the rate measured
// over a sliding window (times given, so every case is exact), the retry's backoff, the cache
// check's deadline, and a deadline's timer that keeps nothing alive. Pure: no go, no network.
import { describe, expect, it } from 'vitest'
import {
  backoff,
  bodyHedgeWindowMs,
  CHECK_BYTES_PER_SECOND,
  CHECK_FLOOR_MS,
  checkDeadlineMs,
  DeadlineError,
  FLOOR_BYTES_PER_SEC,
  slowBodyBytesPerSec,
  Throughput,
  withDeadline
} from '../src/util/timing.ts'

describe('the hedge on throughput', () => {
  it('measures a body over four times the usual first byte, at least 1 s', () => {
    expect(bodyHedgeWindowMs(0)).toBe(1000)
    expect(bodyHedgeWindowMs(100)).toBe(1000)
    expect(bodyHedgeWindowMs(250)).toBe(1000)
    expect(bodyHedgeWindowMs(251)).toBe(1004)
    expect(bodyHedgeWindowMs(600)).toBe(2400)
  })

  it('calls a body slow below an eighth of the usual rate, never below the floor', () => {
    expect(FLOOR_BYTES_PER_SEC).toBe(1024)
    expect(slowBodyBytesPerSec(undefined)).toBe(1024)
    expect(slowBodyBytesPerSec(0)).toBe(1024)
    expect(slowBodyBytesPerSec(8 * 1024)).toBe(1024)
    expect(slowBodyBytesPerSec(8 * 1024 + 8)).toBe(1025)
    expect(slowBodyBytesPerSec(8 << 20)).toBe(1 << 20)
  })
})

describe('Throughput: the rate over the last window', () => {
  it('is unknown until a whole window has passed since the start', () => {
    const t = new Throughput(1000, 5000)
    t.add(4000, 5100)
    expect(t.rate(5000)).toBeUndefined()
    expect(t.rate(5999)).toBeUndefined()
    expect(t.rate(6000)).toBe(4000)
    expect(t.below(1_000_000, 5999)).toBe(false)
  })

  it('counts the bytes of the last window, in bytes per second', () => {
    const t = new Throughput(2000, 1000)
    t.add(1000, 1500)
    t.add(3000, 2500)
    // Two seconds from the start: all 4000 bytes came within the window.
    expect(t.rate(3000)).toBe(2000)
    // The window now starts at 2000: the chunk of 1500 (its slot opened at 1500) is behind it.
    t.add(500, 3900)
    expect(t.rate(4000)).toBe(1750)
    // The window 4000..6000: nothing came in it.
    expect(t.rate(6000)).toBe(0)
  })

  it('counts nothing twice and nothing negative: bytes only ever add', () => {
    const t = new Throughput(1000, 0)
    for (let at = 100; at <= 1000; at += 100) t.add(100, at)
    expect(t.rate(1000)).toBe(1000)
    expect(t.rate(1050)).toBe(1000)
  })

  it('a slot opened exactly at the window’s start is inside the base, not the window', () => {
    // Slots are windowMs/16 = 100 ms wide here.
    const t = new Throughput(1600, 0)
    t.add(160, 100)
    // The window 0..1600: the start slot (0 bytes) is the base, the 160 bytes at 100 are in it.
    expect(t.rate(1600)).toBe(100)
    // The window 100..1700: the slot opened at 100 is its base; nothing came after.
    expect(t.rate(1700)).toBe(0)
  })

  it('chunks within a sixteenth of the window share a slot; a chunk a sixteenth later opens one', () => {
    const t = new Throughput(1600, 0)
    // 99 ms after the start slot: counted in it, so it is part of the base of a window starting at 0.
    t.add(1600, 99)
    expect(t.rate(1600)).toBe(0)
    const u = new Throughput(1600, 0)
    // 100 ms after: a slot of its own, after the window's start.
    u.add(1600, 100)
    expect(u.rate(1600)).toBe(1000)
  })

  it('judges slots by their time from the start, whatever the clock reads', () => {
    const start = 1_000_000
    const t = new Throughput(1600, start)
    t.add(1600, start + 100)
    expect(t.rate(start + 1600)).toBe(1000)
    t.add(1600, start + 1650)
    // The window start+100..start+1700: the slot of start+100 is the base.
    expect(t.rate(start + 1700)).toBe(1000)
    const near = new Throughput(1600, start)
    near.add(1600, start + 99)
    expect(near.rate(start + 1600)).toBe(0)
  })

  it('forgets what is wholly before the window: a burst long ago does not lift a stalled transfer', () => {
    const t = new Throughput(1000, 0)
    t.add(1_000_000, 100)
    expect(t.rate(1000)).toBe(1_000_000)
    t.add(1, 5000)
    expect(t.rate(5000)).toBe(1)
    expect(t.below(1024, 5000)).toBe(true)
    t.add(2000, 5500)
    // The window 5000..6000: the byte of 5000 opened the slot at its start, so it is the base's.
    expect(t.rate(6000)).toBe(2000)
    expect(t.below(1024, 6000)).toBe(false)
  })

  it('keeps about sixteen slots a window, however many chunks arrive', () => {
    const t = new Throughput(1600, 0)
    for (let at = 1; at <= 16_000; at++) t.add(1, at)
    const slots = (t as unknown as { slots: unknown[] }).slots.length
    expect(slots).toBeGreaterThanOrEqual(16)
    expect(slots).toBeLessThanOrEqual(18)
    // Measured from the base slot's last count: short of the true rate by a slot at most.
    expect(t.rate(16_000)).toBeGreaterThanOrEqual(1000 * (15 / 16))
    expect(t.rate(16_000)).toBeLessThanOrEqual(1000)
  })

  it('is below a rate only once a whole window brought less than it', () => {
    const t = new Throughput(1000, 0)
    t.add(1024, 500)
    expect(t.below(2048, 999)).toBe(false)
    expect(t.below(1024, 1000)).toBe(false)
    expect(t.below(1025, 1000)).toBe(true)
  })
})

describe('the retry’s backoff', () => {
  it('waits from the base to twice it (jitter), doubling with each retry, at most 30 s', () => {
    expect(backoff(250)).toEqual({ minTimeout: 250, factor: 2, randomize: true, maxTimeout: 30_000 })
  })
})

describe('the cache check’s deadline', () => {
  it('is 10 s, and a second more for each 8 MiB, rounded up to the millisecond', () => {
    expect(CHECK_FLOOR_MS).toBe(10_000)
    expect(CHECK_BYTES_PER_SECOND).toBe(8 << 20)
    expect(checkDeadlineMs(0)).toBe(10_000)
    expect(checkDeadlineMs(1)).toBe(10_001)
    expect(checkDeadlineMs(8 << 20)).toBe(11_000)
    expect(checkDeadlineMs(80 << 20)).toBe(20_000)
  })
})

describe('withDeadline', () => {
  it('its timer keeps nothing alive while the work runs', async () => {
    const timers = () => process.getActiveResourcesInfo().filter(r => r === 'Timeout').length
    const before = timers()
    let finish: (value: string) => void = () => undefined
    const running = withDeadline(new Promise<string>(resolve => (finish = resolve)), 60_000, 'the work')
    expect(timers()).toBe(before)
    finish('done')
    await expect(running).resolves.toBe('done')
  })

  it('abandons work that outlasts it, saying what and how long', async () => {
    const error = await withDeadline(new Promise(() => undefined), 20, 'the restore').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DeadlineError)
    expect((error as Error).message).toBe('the restore took longer than 20ms and was abandoned')
  })
})
