// What go fetched direct and why, and what it read from file:// entries, read from go's -x output
// and the module cache (src/download/): the rules alone, on go's own line formats. test/private-modules.test.ts runs them with real git.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { type NewZipsSeen, newZipSources } from '../src/download/direct.ts'
import { GoOutput } from '../src/download/go-output.ts'
import { askScope } from '../src/download/scope.ts'
import { whoServed } from '../src/download/served.ts'
import { parseGoMod } from '../src/go/gomod.ts'
import { leaveOut, parseCandidates } from '../src/go/goproxy.ts'
import type { SumLine } from '../src/module/gosum.ts'
import { downloadPath } from '../src/module/request.ts'
import { moduleRouting } from '../src/go/private.ts'
import type { RunFacts } from '../src/report/facts.ts'
import { buildSummary } from '../src/report/summary.ts'
import { answersBeside, canMount, hungMount } from './support/hung-mount.ts'

/** The two halves of newZipSources, each asserted on its own below. */
const directFetches = (o: NewZipsSeen) => newZipSources(o).direct
const fileReads = (o: NewZipsSeen) => newZipSources(o).fromFiles

const VCS = '/m/cache/vcs/046bc697'

describe("GoOutput: go's -x lines", () => {
  it('sorts request URLs by how they ended, a 404 among the unanswered', () => {
    const output = new GoOutput()
    for (const line of ['# get https://a.example.com/x/@v/v1.0.0.info', '# get https://a.example.com/x/@v/v1.0.0.info: 200 OK (0.1s)', '# get https://a.example.com/y/@v/list: 404 Not Found (0.0s)', '# get https://b.example.com/z/@v/v1.0.0.zip: dial tcp 127.0.0.1:9: connect: connection refused']) output.line(line)
    expect(output.requests).toEqual({ answered: ['https://a.example.com/x/@v/v1.0.0.info'], unanswered: ['https://a.example.com/y/@v/list', 'https://b.example.com/z/@v/v1.0.0.zip'] })
  })

  it('names the git commands still running, with their repository from the work directory go made or reused', () => {
    const output = new GoOutput()
    output.line(`mkdir -p ${VCS} # git3 https://git.example.com/acme/lib`)
    output.line(`cd ${VCS}; git ls-remote -q --end-of-options https://git.example.com/acme/lib`)
    output.line(`0.048s # cd ${VCS}; git ls-remote -q --end-of-options https://git.example.com/acme/lib`)
    output.line(`cd ${VCS}; git -c protocol.version=2 fetch -f --depth=1 --end-of-options origin refs/tags/v1.0.0:refs/tags/v1.0.0`)
    expect(output.waitingOn()).toEqual(['git fetch of https://git.example.com/acme/lib'])

    const reused = new GoOutput()
    reused.line(`# /with space/vcs/1 for git3 https://git.example.com/acme/other`)
    reused.line(`cd /with space/vcs/1; git tag -l`)
    expect(reused.waitingOn()).toEqual(['git tag of https://git.example.com/acme/other'])
  })

  it("names cmd/go/internal/vcs's own command until go prints anything after it", () => {
    const output = new GoOutput()
    output.line('cd /m')
    output.line('git ls-remote https://git.example.com/acme/lib')
    expect(output.waitingOn()).toEqual(['git ls-remote https://git.example.com/acme/lib'])
    output.line('git ls-remote git+ssh://git.example.com/acme/lib')
    output.line('go: git.example.com/acme/lib.git@v1.0.0: no secure protocol found for repository')
    expect(output.waitingOn()).toEqual([])
  })
})

describe('directFetches', () => {
  const lines = (...modules: string[]): SumLine[] => modules.flatMap(module => [{ module, version: 'v1.0.0', goMod: false, hash: 'h1:z' }, { module, version: 'v1.0.0', goMod: true, hash: 'h1:m' }])
  const routing = moduleRouting({ GOPRIVATE: 'git.corp.example.com', GONOPROXY: 'git.corp.example.com', GONOSUMDB: 'git.corp.example.com' })
  const all = ['git.corp.example.com/lib', 'git.corp.example.com/restored', 'example.com/Cloned', 'example.com/proxied', 'example.com/prefetched', 'example.com/cached'].map(m => `${m}@v1.0.0`)

  it('a private module that appeared; a public one whose zip no proxy answered; nothing that came through a proxy or was there before', () => {
    const fetched = directFetches({
      lines: lines('git.corp.example.com/lib', 'git.corp.example.com/restored', 'example.com/Cloned', 'example.com/proxied', 'example.com/prefetched', 'example.com/cached'),
      // Restored from a cache entry, or left on the runner: not fetched in this step.
      before: new Set(['git.corp.example.com/restored@v1.0.0', 'example.com/cached@v1.0.0']),
      after: new Set(all),
      requests: {
        // go prints the path as sent: capitals escaped, the ! encoded.
        answered: ['http://127.0.0.1:1/s/example.com/proxied/@v/v1.0.0.zip'],
        unanswered: ['http://127.0.0.1:1/s/example.com/%21cloned/@v/v1.0.0.zip', 'https://a.example.com/example.com/%21cloned/@v/v1.0.0.zip', 'https://a.example.com/example.com/proxied/@v/v1.0.0.zip']
      },
      routing,
      chain: parseCandidates('https://a.example.com,direct'),
      fetched: true,
      modcache: mkdtempSync(path.join(os.tmpdir(), 'modcache-'))
    })
    expect(fetched).toEqual([
      { module: 'git.corp.example.com/lib', version: 'v1.0.0', why: 'GOPRIVATE' },
      { module: 'example.com/Cloned', version: 'v1.0.0', why: 'direct' }
    ])
  })

  it('nothing that did not appear', () => {
    expect(directFetches({ lines: lines('git.corp.example.com/lib'), before: new Set(), after: new Set(), requests: { answered: [], unanswered: [] }, routing, chain: [], fetched: false, modcache: os.tmpdir() })).toEqual([])
  })
})

describe('fileReads: zips go read from file:// entries, which it prints no request for', () => {
  const lines = (...modules: string[]): SumLine[] => modules.map(module => ({ module, version: 'v1.0.0', goMod: false, hash: 'h1:z' }))
  const routing = moduleRouting({ GOPRIVATE: 'git.corp.example.com', GONOPROXY: 'git.corp.example.com', GONOSUMDB: 'git.corp.example.com' })
  /** file:// entries holding the given modules' zips, in GOPROXY layout. */
  const holding = (...modules: string[]) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'file-entry-'))
    for (const m of modules) {
      mkdirSync(path.join(dir, downloadPath(m, 'v1.0.0', 'zip'), '..'), { recursive: true })
      writeFileSync(path.join(dir, downloadPath(m, 'v1.0.0', 'zip')), 'zip')
    }
    return pathToFileURL(dir).href
  }
  const modules = ['example.com/A', 'example.com/b', 'example.com/c', 'git.corp.example.com/lib']
  const seen = (chain: string, requests = { answered: [] as string[], unanswered: [] as string[] }, fetched = false, modcache = mkdtempSync(path.join(os.tmpdir(), 'modcache-'))) => ({
    lines: lines(...modules),
    before: new Set<string>(),
    after: new Set(modules.map(m => `${m}@v1.0.0`)),
    requests,
    routing,
    chain: parseCandidates(chain),
    fetched,
    modcache
  })

  it('each zip to the first file:// entry holding it; none of a private module, of one a proxy answered or of one after direct', () => {
    const first = holding('example.com/A')
    const second = holding('example.com/A', 'example.com/b', 'git.corp.example.com/lib')
    const late = holding('example.com/c')
    const o = seen(`${first},${second},direct,${late}`, { answered: ['https://x.example.com/example.com/b/@v/v1.0.0.zip'], unanswered: [] })
    const reads = fileReads(o)
    expect([...reads].map(([c, n]) => [c.spec, n])).toEqual([[first, 1]])
    // b a proxy answered; c was reached only past direct, where go cloned it.
    expect(directFetches(o).map(d => d.module)).toEqual(['git.corp.example.com/lib'])
    const both = fileReads(seen(`${first},${second}`))
    expect([...both].map(([c, n]) => [c.spec, n])).toEqual([
      [first, 1],
      [second, 1]
    ])
  })

  it('with the fetch running, only a zip go asked of it in vain and then read from a file:// entry, which is then not direct', () => {
    const entry = holding('example.com/A', 'example.com/b')
    const o = seen(`http://127.0.0.1:1/s,${entry},direct`, { answered: [], unanswered: ['http://127.0.0.1:1/s/example.com/%21a/@v/v1.0.0.zip'] }, true)
    expect([...fileReads(o).values()]).toEqual([1])
    expect(directFetches(o).map(d => d.module)).toEqual(['git.corp.example.com/lib'])
  })

  // GOPROXY=file://$GOMODCACHE/cache/download,<proxy>,direct, as offline builds set it: every zip
  // go fetched is in that directory afterwards, put there by go, not read from it.
  it('none from an entry that is go’s own download cache: a zip go cloned there stays direct', () => {
    const modcache = mkdtempSync(path.join(os.tmpdir(), 'modcache-'))
    const downloads = path.join(modcache, 'cache', 'download')
    for (const m of modules) {
      mkdirSync(path.join(downloads, downloadPath(m, 'v1.0.0', 'zip'), '..'), { recursive: true })
      writeFileSync(path.join(downloads, downloadPath(m, 'v1.0.0', 'zip')), 'zip')
    }
    const o = seen(`${pathToFileURL(downloads).href},https://a.example.com,direct`, { answered: [], unanswered: ['https://a.example.com/example.com/b/@v/v1.0.0.zip'] }, false, modcache)
    expect([...fileReads(o)]).toEqual([])
    expect(directFetches(o).map(d => [d.module, d.why])).toEqual([
      ['example.com/b', 'direct'],
      ['git.corp.example.com/lib', 'GOPRIVATE']
    ])
  })

  it('none through a link in the entry, which is not followed; a zip that is a link itself counts', () => {
    const elsewhere = fileURLToPath(holding('example.com/A', 'example.com/b'))
    const dir = mkdtempSync(path.join(os.tmpdir(), 'file-entry-'))
    mkdirSync(path.join(dir, 'example.com', 'b', '@v'), { recursive: true })
    // A's directory is a link; b's zip is one.
    symlinkSync(path.join(elsewhere, 'example.com', '!a'), path.join(dir, 'example.com', '!a'))
    symlinkSync(path.join(elsewhere, 'example.com', 'b', '@v', 'v1.0.0.zip'), path.join(dir, 'example.com', 'b', '@v', 'v1.0.0.zip'))
    expect([...fileReads(seen(pathToFileURL(dir).href)).values()]).toEqual([1])
  })
})

// A file:// directory may be anyone's: a link in it into a mount that never answers (a hard NFS
// mount whose server is gone) must not hold the step, which only wants to know what go read.
describe.skipIf(!canMount)('fileReads beside a mount that never answers', () => {
  it('answers at once for an entry with a link into it', async ({ skip }) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hang-'))
    const mount = await hungMount(dir)
    if (!mount) return skip('no FUSE mount here')
    const entry = path.join(dir, 'entry')
    mkdirSync(path.join(entry, 'example.com'), { recursive: true })
    symlinkSync(mount.mnt, path.join(entry, 'example.com', 'm'))
    const src = path.join(import.meta.dirname, '..', 'src')
    const code = `
      import { newZipSources } from ${JSON.stringify(`${src}/download/direct.ts`)}
      import { parseCandidates } from ${JSON.stringify(`${src}/go/goproxy.ts`)}
      import { moduleRouting } from ${JSON.stringify(`${src}/go/private.ts`)}
      const { fromFiles: reads } = newZipSources({
        lines: [{ module: 'example.com/m', version: 'v1.0.0', goMod: false, hash: 'h1:z' }],
        before: new Set(), after: new Set(['example.com/m@v1.0.0']),
        requests: { answered: [], unanswered: [] }, routing: moduleRouting({ GOPRIVATE: '', GONOPROXY: '', GONOSUMDB: '' }),
        chain: parseCandidates(${JSON.stringify(pathToFileURL(entry).href)}), fetched: false, modcache: ${JSON.stringify(dir)}
      })
      console.log('answered', reads.size)`
    expect(await answersBeside(mount, code, 5_000)).toBe(true)
  }, 30_000)
})

describe('leaveOut', () => {
  const [refused, good, direct, off] = parseCandidates('https://refused.example.com,https://good.example.com,direct,off')

  it('drops the candidates named while something go can fetch with remains', () => {
    expect(leaveOut([refused!, good!, direct!], [refused!])).toEqual([good, direct])
    expect(leaveOut([refused!, direct!], [refused!])).toEqual([direct])
  })

  it('keeps the chain when nothing would remain but off', () => {
    expect(leaveOut([refused!, off!], [refused!])).toEqual([refused, off])
  })
})

describe('askScope: what go may ask for', () => {
  const routing = moduleRouting({ GOPRIVATE: 'git.corp.example.com', GONOPROXY: 'git.corp.example.com', GONOSUMDB: 'git.corp.example.com' })
  const project = (goMod: string) => ({ mains: [{ dir: '.', mod: parseGoMod(goMod) }], workspace: false, workReplace: [] })
  const sum: SumLine[] = [{ module: 'git.corp.example.com/lib', version: 'v1.0.0', goMod: false, hash: 'h1:z' }]

  it('every private module of go.sum and go.mod: no proxy, no checksum database', () => {
    expect(askScope(project('module m\n\nrequire git.corp.example.com/lib v1.0.0\n'), sum, false, routing)).toMatchObject({ noProxy: true, noSumdb: true })
  })

  it('a requirement go.sum lacks, a replacement, or the toolchain counts too; an unreadable project covers nothing', () => {
    expect(askScope(project('module m\n\nrequire example.com/public v1.0.0\n'), sum, false, routing)).toMatchObject({ noProxy: false, noSumdb: false })
    expect(askScope(project('module m\n\nreplace git.corp.example.com/lib => example.com/fork v1.0.1\n'), sum, false, routing)).toMatchObject({ noProxy: false })
    expect(askScope(project('module m\n\nreplace git.corp.example.com/lib => ./lib\n'), sum, false, routing)).toMatchObject({ noProxy: true })
    expect(askScope(project('module m\n'), sum, true, routing)).toMatchObject({ noProxy: false, noSumdb: false })
    expect(askScope(undefined, sum, false, routing)).toMatchObject({ noProxy: false })
  })
})

describe('whoServed', () => {
  const [refused, good, direct] = parseCandidates('https://refused.example.com,https://good.example.com,direct')
  const probes = [
    { candidate: refused!, verdict: 'unhealthy' as const, reason: 'connection refused', failure: 'refused' as const },
    { candidate: good!, verdict: 'unhealthy' as const, reason: 'HTTP 503' },
    { candidate: direct!, verdict: 'not probed' as const, reason: '' }
  ]
  const cloned = [{ module: 'example.com/open', version: 'v1.0.0', why: 'direct' as const }]

  it('names the first candidate that answered go, and leaves out those that failed their probe and served nothing', () => {
    const served = whoServed({ chain: [refused!, good!, direct!], probes, answered: ['https://good.example.com/example.com/m/@v/v1.0.0.zip'], direct: [] })
    expect(served).toEqual({ chain: [good, direct], chosen: 'https://good.example.com', leftOut: [refused] })
  })

  it('says direct when go cloned everything, and nothing when nothing was fetched', () => {
    expect(whoServed({ chain: [refused!, direct!], probes, answered: [], direct: cloned })).toEqual({ chain: [direct], chosen: 'direct', leftOut: [refused] })
    expect(whoServed({ chain: [good!], probes: [{ ...probes[1]!, verdict: 'healthy' }], answered: [], direct: [] })).toEqual({ chain: [good], leftOut: [] })
  })
})

describe('the headline counts and names what came direct', () => {
  const attempt = (zips: number) => [{ number: 1, first: 'x', reason: 'ok' as const, detail: '', durationMs: 1, zips }]
  const facts = (o: Partial<RunFacts>): RunFacts => ({ ok: true, probes: [], restore: { state: 'disabled' }, attempts: attempt(0), ...o })
  const cloned = (why: 'GOPRIVATE' | 'direct') => ({ module: 'git.corp.example.com/lib', version: 'v1.0.0', why })
  const fromProxies = attempt(5)

  it.each<[string, Partial<RunFacts>, string]>([
    ['proxies only', { chosen: 'https://good.example.com', attempts: fromProxies }, '✅ Go modules ready: 5 downloaded through https://good.example.com'],
    ['direct only', { chosen: 'direct', direct: [cloned('GOPRIVATE')] }, '✅ Go modules ready: 1 downloaded direct (GOPRIVATE)'],
    ['both', { chosen: 'https://good.example.com', attempts: fromProxies, direct: [cloned('GOPRIVATE'), { ...cloned('direct'), module: 'example.com/open' }] }, '✅ Go modules ready: 7 downloaded: 5 through https://good.example.com, 2 direct (GOPRIVATE, direct in GOPROXY)'],
    ['nothing', {}, '✅ Go modules ready: 0 downloaded']
  ])('%s', (_, o, title) => {
    expect(buildSummary(facts(o)).title).toBe(title)
  })

  it('a table names each module, its version and why, the module in a code span', () => {
    const section = buildSummary(facts({ chosen: 'direct', direct: [cloned('GOPRIVATE')] })).sections.find(s => s.heading === 'Fetched direct')
    expect(section?.rows).toEqual([[{ quoted: 'git.corp.example.com/lib' }, { quoted: 'v1.0.0' }, 'GOPRIVATE covers it: go asks no proxy for it']])
  })
})
