// The retry sequence with scripted attempt outcomes: which candidate goes first, when to
// wait, when to stop. (The real attempt runs go; see download.test.ts.)
import { describe, expect, it } from 'vitest'
import type { AttemptOutcome } from '../src/download/attempt.ts'
import { classify } from '../src/download/classify.ts'
import { type Candidate, goproxyValue, parseCandidates } from '../src/go/goproxy.ts'
import { downloadWithRetries } from '../src/download/retry.ts'

/** An attempt's outcome, classified once, as runAttempt does. */
const outcome = (o: Omit<AttemptOutcome, 'classification'>): AttemptOutcome => ({ ...o, classification: classify(o) })
const ok = outcome({ exit: { code: 0, signal: null }, endedBy: 'exit', durationMs: 10, errors: [], waitingOn: [], zips: 3, failedRequests: [] })
const stall = outcome({ ...ok, exit: { code: null, signal: 'SIGKILL' }, endedBy: 'stall', zips: 0 })
const error = (line: string): AttemptOutcome => outcome({ ...ok, exit: { code: 1, signal: null }, errors: [line], zips: 0 })
const unavailable = error('go: a@v1.0.0: reading https://a.example.com/a/@v/v1.0.0.mod: 503 Service Unavailable')

const chain = parseCandidates('https://a.example.com,https://b.example.com,direct')

/** Runs the retries with scripted outcomes, recording the GOPROXY of each attempt and when it started. */
async function script(outcomes: AttemptOutcome[], retries: number, initial: Candidate[] = chain, backoffMs = 1) {
  const seen: string[] = []
  const at: number[] = []
  const result = await downloadWithRetries(
    initial,
    async c => {
      seen.push(goproxyValue(c))
      at.push(performance.now())
      return outcomes.shift() ?? ok
    },
    { retries, backoffMs }
  )
  return { result, seen, waits: at.slice(1).map((t, i) => t - (at[i] as number)) }
}

describe('downloadWithRetries', () => {
  it('succeeds on the first attempt without retrying', async () => {
    const { result, seen } = await script([ok], 3)
    expect(result.ok).toBe(true)
    expect(seen).toEqual(['https://a.example.com|https://b.example.com|direct'])
    expect(result.attempts.map(a => [a.number, a.first, a.reason])).toEqual([[1, 'https://a.example.com', 'ok']])
  })

  it('puts the next candidate first after a stall, and keeps the chain that worked', async () => {
    const { result, seen } = await script([stall, ok], 3)
    expect(seen).toEqual(['https://a.example.com|https://b.example.com|direct', 'https://b.example.com|https://a.example.com|direct'])
    expect(result).toMatchObject({ ok: true, chain: parseCandidates('https://b.example.com,https://a.example.com,direct') })
    expect(result.attempts.map(a => a.reason)).toEqual(['stall', 'ok'])
  })

  it('gives up after the retries, cycling through the candidates: a fresh candidate’s turn costs no retry', async () => {
    const { result, seen } = await script([unavailable, stall, unavailable, stall], 1)
    expect(result.ok).toBe(false)
    expect(seen.map(s => s.split('|')[0])).toEqual(['https://a.example.com', 'https://b.example.com', 'https://a.example.com'])
    expect(result.attempts.map(a => a.reason)).toEqual(['network', 'stall', 'network'])
  })

  it('fails over to a fresh candidate at once, and waits p-retry’s backoff (with jitter, doubling) before a candidate goes first again', async () => {
    const { waits } = await script([unavailable, unavailable, unavailable, unavailable, ok], 3, chain, 200)
    // a → b at once; b → a after 200–400 ms; a → b after 400–800 ms; b → a after 800–1600 ms.
    expect(waits[0]).toBeLessThan(100)
    expect(waits[1]).toBeGreaterThanOrEqual(195)
    expect(waits[1]).toBeLessThan(400 + 100)
    expect(waits[2]).toBeGreaterThanOrEqual(395)
    expect(waits[3]).toBeGreaterThanOrEqual(795)
  })

  it('makes one attempt only with no retries, failover included', async () => {
    const { result, seen } = await script([unavailable], 0)
    expect(result.ok).toBe(false)
    expect(seen).toHaveLength(1)
  })

  it('stops at once on an error no retry can fix', async () => {
    const { result, seen } = await script([error('go: a@v9.9.9: invalid version: unknown revision v9.9.9')], 5)
    expect(result.ok).toBe(false)
    expect(seen).toHaveLength(1)
    expect(result.attempts[0]).toMatchObject({ reason: 'unknown revision', detail: 'go: a@v9.9.9: invalid version: unknown revision v9.9.9' })
  })

  it('never gives a candidate that served bad bytes another turn', async () => {
    const mismatch = error('verifying a@v1.0.0: checksum mismatch')
    const { result, seen } = await script([mismatch, unavailable, ok], 5)
    expect(seen).toEqual(['https://a.example.com|https://b.example.com|direct', 'https://b.example.com|direct', 'https://b.example.com|direct'])
    expect(result.ok).toBe(true)
  })

  it('stops when bad bytes came from the only candidate left', async () => {
    const { result, seen } = await script([error('verifying a@v1.0.0: checksum mismatch')], 5, parseCandidates('https://a.example.com'))
    expect(result.ok).toBe(false)
    expect(seen).toHaveLength(1)
  })
})

describe('an attempt that cannot start', () => {
  it('is not retried: its error is the step error', async () => {
    let calls = 0
    const run = downloadWithRetries(
      chain,
      async () => {
        calls++
        throw Object.assign(new Error('spawn /opt/go/bin/go ENOENT'), { code: 'ENOENT' })
      },
      { retries: 3, backoffMs: 1 }
    )
    await expect(run).rejects.toThrow('spawn /opt/go/bin/go ENOENT')
    expect(calls).toBe(1)
  })
})
