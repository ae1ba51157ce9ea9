import { describe, expect, it } from 'vitest'
import { parseCandidates } from '../src/go/goproxy.ts'
import type { ProbeResult } from '../src/probe/probe.ts'
import { fallbackOrder, rankHealthy } from '../src/probe/ranking.ts'

const [a, b, c, direct] = parseCandidates('https://a.example.com,https://b.example.com,https://c.example.com,direct')
const results: ProbeResult[] = [
  { candidate: a!, verdict: 'healthy', latencyMs: 300, reason: '' },
  { candidate: b!, verdict: 'unhealthy', latencyMs: 5, reason: 'HTTP 500' },
  { candidate: c!, verdict: 'healthy', latencyMs: 40, reason: '' },
  { candidate: direct!, verdict: 'not probed', reason: '' }
]

describe('rankHealthy', () => {
  it('ordered: healthy candidates in the given order', () => {
    expect(rankHealthy(results, 'ordered').map(c => c.spec)).toEqual(['https://a.example.com', 'https://c.example.com'])
  })

  it('fastest: healthy candidates by probe latency, never an unhealthy fast one', () => {
    expect(rankHealthy(results, 'fastest').map(c => c.spec)).toEqual(['https://c.example.com', 'https://a.example.com'])
  })

  it('nothing healthy, nothing ranked', () => {
    expect(rankHealthy(results.filter(r => r.verdict !== 'healthy'), 'fastest')).toEqual([])
  })
})

describe('fallbackOrder, when no candidate passed', () => {
  it('puts those that answered (HTTP, TLS, refused, the forward proxy) before those that said nothing, each in the given order', () => {
    const [s1, h, t, s2, r, p] = parseCandidates('https://s1.example.com,https://h.example.com,https://t.example.com,https://s2.example.com,https://r.example.com,https://p.example.com')
    const failed = (candidate: typeof s1, failure: ProbeResult['failure'], verdict: ProbeResult['verdict'] = 'unhealthy'): ProbeResult => ({ candidate: candidate!, verdict, reason: '', failure })
    const order = fallbackOrder([failed(s1, 'silent'), failed(h, 'http'), failed(t, 'tls'), failed(s2, 'silent', 'slow'), failed(r, 'refused'), failed(p, 'proxy'), { candidate: direct!, verdict: 'not probed', reason: '' }])
    expect(order.map(c => c.spec)).toEqual(['https://h.example.com', 'https://t.example.com', 'https://r.example.com', 'https://p.example.com', 'https://s1.example.com', 'https://s2.example.com'])
  })
})

describe('rankHealthy, fastest, among several', () => {
  it('sorts every healthy candidate by its probe latency', () => {
    const [x, y, z] = parseCandidates('https://x.example.com,https://y.example.com,https://z.example.com')
    const three: ProbeResult[] = [
      { candidate: x!, verdict: 'healthy', latencyMs: 300, reason: '' },
      { candidate: y!, verdict: 'healthy', latencyMs: 40, reason: '' },
      { candidate: z!, verdict: 'healthy', latencyMs: 120, reason: '' }
    ]
    expect(rankHealthy(three, 'fastest').map(c => c.spec)).toEqual(['https://y.example.com', 'https://z.example.com', 'https://x.example.com'])
    expect(rankHealthy([...three].reverse(), 'fastest').map(c => c.spec)).toEqual(['https://y.example.com', 'https://z.example.com', 'https://x.example.com'])
  })
})
