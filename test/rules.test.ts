// The fetch's rules, pure: when to hedge and when to give up on silence (timing.ts), when a
// candidate is moved behind (fetch/stats.ts), how many requests to keep in flight
// (fetch/concurrency.ts). The fetch itself, against real proxies, is fetch.test.ts.
import { describe, expect, it } from 'vitest'
import { type ClimbState, Limiter, nextLimit, startLimit } from '../src/fetch/concurrency.ts'
import { emptyStats, isTroubled, movedBecause } from '../src/fetch/stats.ts'
import { DeadlineError, hedgeAfterMs, median, probeCutoffMs, stallWindowMs, stallCheckEveryMs, withDeadline } from '../src/util/timing.ts'

describe('the fetch’s rules', () => {
  it('hedges after four times the usual first byte, at least 250 ms; gives up below the floor after twenty, 3 s to stall-timeout', () => {
    expect(median([])).toBeUndefined()
    expect(median([40, 10, 30, 20])).toBe(30)
    expect(hedgeAfterMs(10)).toBe(250)
    expect(hedgeAfterMs(100)).toBe(400)
    expect(stallWindowMs(10, 60_000)).toBe(3000)
    expect(stallWindowMs(500, 2000)).toBe(2000)
  })

  it('moves a candidate behind after one wrong answer, or failures and stalls of at least 3 and a tenth of its requests, and says why', () => {
    const stats = (change: Partial<ReturnType<typeof emptyStats>>) => ({ ...emptyStats(), ...change })
    expect(isTroubled(stats({ requests: 400, rejected: 1 }))).toBe(true)
    expect(isTroubled(stats({ requests: 10, failures: 1, stalls: 2 }))).toBe(true)
    expect(isTroubled(stats({ requests: 400, failures: 5 }))).toBe(false)
    expect(movedBecause(stats({ requests: 400, failures: 5 }))).toBeUndefined()
    expect(movedBecause(stats({ requests: 25, stalls: 4 }))).toBe('stalled on 4 of 25 requests; moved behind')
    expect(movedBecause(stats({ requests: 30, rejected: 8 }))).toBe('served bytes go.sum disagrees with (8×); moved behind')
  })

  it('moves the in-flight limit the way that delivers more, preferring fewer: up only while it clearly pays, down until it clearly costs', () => {
    let state: ClimbState = { limit: 8, direction: 1 }
    state = nextLimit(state, 100, true, 64)
    expect(state).toMatchObject({ limit: 16, direction: 1 })
    // Doubled, delivered twice as much: on up.
    state = nextLimit(state, 200, true, 64)
    expect(state.limit).toBe(32)
    // Doubled again, delivered only a little more (noise, or a link already full): back to 16, down next, after a few windows there.
    state = nextLimit(state, 230, true, 64)
    expect(state).toMatchObject({ limit: 16, direction: -1, hold: 4 })
    for (let i = 0; i < 4; i++) state = nextLimit(state, 200, true, 64)
    expect(state.limit).toBe(16)
    state = nextLimit(state, 200, true, 64)
    expect(state).toMatchObject({ limit: 8, direction: -1 })
    // Halved, delivered about the same: fewer stays, and fewer still is tried.
    state = nextLimit(state, 190, true, 64)
    expect(state).toMatchObject({ limit: 4, direction: -1 })
    // Halved again, delivered clearly less: back to 8, up next.
    state = nextLimit(state, 150, true, 64)
    expect(state).toMatchObject({ limit: 8, direction: 1, hold: 4 })
    // Demand below the limit says nothing about what more would deliver.
    expect(nextLimit({ limit: 8, direction: 1 }, 100, false, 64)).toEqual({ limit: 8, direction: 1 })
    // At the ceiling, or at the floor, it turns.
    expect(nextLimit({ limit: 64, direction: 1 }, 100, true, 64)).toEqual({ limit: 64, direction: -1 })
    expect(nextLimit({ limit: 2, direction: -1 }, 100, true, 64)).toEqual({ limit: 2, direction: 1 })
  })

  it('starts with more requests in flight when the first candidate answers slowly, never above the ceiling', () => {
    expect(startLimit(12, 64)).toBe(16)
    expect(startLimit(55, 64)).toBe(32)
    expect(startLimit(55, 20)).toBe(20)
    expect(startLimit(12, 4)).toBe(4)
  })

  it('never lets more through than its limit, however many wait', async () => {
    const limiter = new Limiter(3)
    let inside = 0
    let most = 0
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const release = await limiter.acquire()
        inside++
        most = Math.max(most, inside)
        await new Promise(resolve => setTimeout(resolve, 2))
        inside--
        release()
      })
    )
    expect(most).toBe(3)
    expect(limiter.active).toBe(0)
  })
})

describe('timing.ts, at its edges', () => {
  it('takes the median of a series in any order, leaving the series as it was', () => {
    const series = [9, 1, 5]
    expect(median(series)).toBe(5)
    expect(series).toEqual([9, 1, 5])
    expect(median([3, 100, 2, 1])).toBe(3)
    expect(median([7])).toBe(7)
  })

  it('waits for other probes four times the first healthy answer, at least 500 ms, never past the probe timeout', () => {
    expect(probeCutoffMs(50, 5000)).toBe(500)
    expect(probeCutoffMs(300, 5000)).toBe(1200)
    expect(probeCutoffMs(3000, 5000)).toBe(5000)
  })

  it('gives up on a silent connection after twenty times the usual first byte, once that passes 3 s', () => {
    expect(stallWindowMs(500, 60_000)).toBe(10_000)
    expect(stallWindowMs(100, 60_000)).toBe(3000)
  })

  it('checks for a stall ten times per stall-timeout, between 50 ms and 500 ms apart', () => {
    expect(stallCheckEveryMs(2000)).toBe(200)
    expect(stallCheckEveryMs(100)).toBe(50)
    expect(stallCheckEveryMs(60_000)).toBe(500)
  })

  it('a deadline: the work’s own outcome when it comes first, else an error naming what was abandoned', async () => {
    await expect(withDeadline(Promise.resolve('done'), 1000, 'the restore')).resolves.toBe('done')
    await expect(withDeadline(Promise.reject(new Error('refused')), 1000, 'the restore')).rejects.toThrow('refused')
    const late = withDeadline(new Promise(() => undefined), 30, 'The cache restore')
    await expect(late).rejects.toThrow(new DeadlineError('The cache restore', 30))
    await expect(late).rejects.toMatchObject({ name: 'DeadlineError', message: 'The cache restore took longer than 30ms and was abandoned' })
  })

  it('a deadline met leaves no timer keeping the process alive', async () => {
    const timers = () => process.getActiveResourcesInfo().filter(r => r === 'Timeout').length
    const before = timers()
    await withDeadline(Promise.resolve('done'), 60_000, 'the save')
    expect(timers()).toBe(before)
  })
})

describe('fetch/stats.ts, at its edges', () => {
  const stats = (change: Partial<ReturnType<typeof emptyStats>>) => ({ ...emptyStats(), ...change })

  it('trouble takes at least 3 failures and stalls, and a tenth of the requests: exactly a tenth counts', () => {
    expect(isTroubled(stats({ requests: 30, failures: 3 }))).toBe(true)
    expect(isTroubled(stats({ requests: 31, failures: 3 }))).toBe(false)
    expect(isTroubled(stats({ requests: 10, failures: 1, stalls: 1 }))).toBe(false)
    expect(isTroubled(stats({ requests: 10, stalls: 3 }))).toBe(true)
  })

  it('says what moved a candidate behind: its stalls, its failures, or both', () => {
    expect(movedBecause(stats({ requests: 30, failures: 3 }))).toBe('failed 3 of 30 requests; moved behind')
    expect(movedBecause(stats({ requests: 10, stalls: 2, failures: 1 }))).toBe('stalled on 2 and failed 1 of 10 requests; moved behind')
  })
})

describe('fetch/concurrency.ts, at its edges', () => {
  it('the larger start from a 40 ms first answer on', () => {
    expect(startLimit(40, 64)).toBe(32)
    expect(startLimit(39, 64)).toBe(16)
  })

  it('keeps a step up that delivered a quarter more, and a step down that lost no more than 12%', () => {
    expect(nextLimit({ limit: 16, direction: 1, before: { limit: 8, delivered: 100 } }, 125, true, 64)).toMatchObject({ limit: 32, direction: 1 })
    expect(nextLimit({ limit: 16, direction: 1, before: { limit: 8, delivered: 100 } }, 124, true, 64)).toMatchObject({ limit: 8, direction: -1 })
    expect(nextLimit({ limit: 8, direction: -1, before: { limit: 16, delivered: 100 } }, 88, true, 64)).toMatchObject({ limit: 4, direction: -1 })
    expect(nextLimit({ limit: 8, direction: -1, before: { limit: 16, delivered: 100 } }, 87, true, 64)).toMatchObject({ limit: 16, direction: 1 })
  })

  it('a release counts once, however often it is called; a raised limit lets waiters in at once', async () => {
    const limiter = new Limiter(1)
    const release = await limiter.acquire()
    release()
    release()
    expect(limiter.active).toBe(0)
    const held = [await limiter.acquire()]
    let entered = 0
    const waiting = [limiter.acquire(), limiter.acquire()].map(p => p.then(r => (entered++, r)))
    await new Promise(resolve => setTimeout(resolve, 5))
    expect(entered).toBe(0)
    limiter.setLimit(3)
    held.push(...(await Promise.all(waiting)))
    expect(entered).toBe(2)
    expect(limiter.active).toBe(3)
    for (const r of held) r()
    expect(limiter.active).toBe(0)
  })
})
