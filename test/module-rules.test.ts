// The module protocol's rules (src/module/) against go's own code: module paths (CheckPath),
// their escaping both ways, the versions a request may name, canonical versions, the checksum
// database's tile paths, how a URL's credentials are read and how go prints them, which module zips go extracts. Property-based (fast-check): each
// generated case is asked of the Go oracle (test/cache-server/modpath), and ours must agree.
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maskSecrets, secretsIn, userinfoOf } from '../src/util/credentials.ts'
import { extractable } from '../src/fetch/zip-extract.ts'
import { parseCandidates } from '../src/go/goproxy.ts'
import { escapePath, modulePathProblem, unescapePath } from '../src/module/path.ts'
import { parseRequestPath, wirePath } from '../src/module/request.ts'
import { parseSumdbPath } from '../src/module/sumdb-request.ts'
import { escapeVersion, isCanonicalVersion, unescapeVersion } from '../src/module/version.ts'
import { type GoOracle, startGoOracle } from './support/go-oracle.ts'

let go: GoOracle
beforeAll(async () => {
  go = await startGoOracle()
})
afterAll(() => go.close())

const RUNS = { numRuns: 3000 }
const ask = async (op: Parameters<GoOracle['ask']>[0], arg: string) => (await go.ask(op, [arg]))[0]!

/** Text from `chars`, and from pieces that sit on the rules' edges. */
const textOf = (chars: string[], pieces: string[], maxLength = 10) =>
  fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...chars) }, { weight: 1, arbitrary: fc.constantFrom(...pieces) }), { maxLength }).map(p => p.join(''))

const PATH_CHARS = [...'abcz09ABZ-._~/!@%+ :é\\', '\u0000']
const PATH_PIECES = ['example.com', 'gopkg.in/', 'gopkg.in/yaml.v0', 'gopkg.in/x.v0-unstable', 'gopkg.in/x.v1-unstable', 'gopkg.in/x.v01', 'yaml.v2', '.v0', '.v01', '-unstable', '/v2', '/v1', '/v0', '/v1.2', '/v02', 'con', 'CON.', 'aux.x', 'com1', 'lpt9', 'x~1', 'x~12', 'PROGRA~10', 'a~1b', '~a', '..', './', '//', 'github.com/']
const ESCAPED_CHARS = [...'abcz09AZ-._~/!', '!!', '!a', '!Z', '!0', '%21']
const VERSION_CHARS = [...'abz09AZ-.+_~ !#$%&()=,@[]^{}*?<>|"\':/\\é', '\u0000']
const VERSION_PIECES = ['v1.0.0', 'v0.0.0-2024', '-rc.1', '+incompatible', '..', '.', 'con', 'NUL.txt', '!a', '!A']

/** Paths near the rules' edges: a first element, then elements that are mostly valid. */
const nearPaths = fc
  .tuple(
    fc.constantFrom('example.com', 'gopkg.in', 'github.com', 'Example.com', '-x.com', 'x', 'x_y.com'),
    fc.array(fc.oneof(fc.constantFrom(...PATH_PIECES.filter(p => !p.includes('/')), 'v2', 'v1', 'v0', 'v1.2', 'x.v2', 'yaml.v0'), textOf([...'abzAZ09-._~'], ['~1', '~12'], 6)), { maxLength: 3 })
  )
  .map(([first, rest]) => [first, ...rest].join('/'))
const paths = fc.oneof(textOf(PATH_CHARS, PATH_PIECES, 12), nearPaths)

describe('module paths, as golang.org/x/mod/module checks and escapes them', () => {
  it('accepts exactly the paths CheckPath accepts', async () => {
    await fc.assert(
      fc.asyncProperty(paths, async p => {
        expect(modulePathProblem(p) === undefined, p).toBe((await ask('checkPath', p)).ok)
      }),
      RUNS
    )
  })

  it('escapes as EscapePath does, and refuses what it refuses', async () => {
    await fc.assert(
      fc.asyncProperty(paths, async p => {
        const theirs = await ask('escapePath', p)
        if (theirs.ok) expect(escapePath(p)).toBe(theirs.out)
        else expect(() => escapePath(p)).toThrow()
      }),
      RUNS
    )
  })

  it('unescapes as UnescapePath does: only the escaping’s own output is read back', async () => {
    await fc.assert(
      fc.asyncProperty(textOf(ESCAPED_CHARS, ['example.com/', 'github.com/!burnt!sushi', 'gopkg.in/yaml.v2'], 12), async e => {
        const theirs = await ask('unescapePath', e)
        expect(unescapePath(e), e).toBe(theirs.ok ? theirs.out : undefined)
      }),
      RUNS
    )
  })

  it('reads back every path it escapes', () => {
    fc.assert(
      fc.property(paths, p => {
        if (modulePathProblem(p) === undefined) expect(unescapePath(escapePath(p))).toBe(p)
      }),
      RUNS
    )
  })
})

describe('versions, as a request may name them', () => {
  it('escapes and unescapes as EscapeVersion and UnescapeVersion do', async () => {
    await fc.assert(
      fc.asyncProperty(textOf(VERSION_CHARS, VERSION_PIECES, 8), async v => {
        const escaped = await ask('escapeVersion', v)
        if (escaped.ok) expect(escapeVersion(v)).toBe(escaped.out)
        else expect(() => escapeVersion(v)).toThrow()
        const unescaped = await ask('unescapeVersion', v)
        expect(unescapeVersion(v), v).toBe(unescaped.ok ? unescaped.out : undefined)
      }),
      RUNS
    )
  })

  it('knows a canonical version as CanonicalVersion does', async () => {
    const number = fc.constantFrom('0', '1', '01', '10', '999', '', 'x')
    const identifier = fc.constantFrom('alpha', '0', '00', '01', '1', 'x-y', '-', '', '0a', 'RC1', '20240101000000-abcdef012345')
    const version = fc
      .tuple(fc.constantFrom('v', 'V', ''), fc.array(number, { minLength: 1, maxLength: 4 }), fc.array(identifier, { maxLength: 3 }), fc.constantFrom('', '+incompatible', '+meta', '+', '+incompatible.x'), fc.boolean())
      .map(([v, numbers, pre, build, dash]) => `${v}${numbers.join('.')}${pre.length > 0 || dash ? `-${pre.join('.')}` : ''}${build}`)
    await fc.assert(
      fc.asyncProperty(version, async v => {
        expect(isCanonicalVersion(v), v).toBe((await ask('canonicalVersion', v)).ok)
      }),
      RUNS
    )
  })
})

describe('the checksum database’s tile paths, as tlog.ParseTilePath reads them', () => {
  it('accepts exactly the tiles go’s server accepts, in their one spelling', async () => {
    const tile = fc
      .tuple(
        fc.constantFrom('0', '1', '8', '08', '30', '31', '+8', ''),
        fc.constantFrom('0', '1', '2', 'data', '01', '-1', '+1', 'x'),
        fc.array(fc.constantFrom('x000', 'x001', 'x123', 'x999', '000', '123', '12', '1234', 'x12'), { minLength: 1, maxLength: 7 }),
        fc.constantFrom('', '.p/1', '.p/255', '.p/256', '.p/0', '.p/01', '.p/', '.p/x')
      )
      .map(([h, l, n, p]) => `tile/${h}/${l}/${n.join('/')}${p}`)
    await fc.assert(
      fc.asyncProperty(tile, async t => {
        const ours = parseSumdbPath(t)
        expect('kind' in ours && ours.kind === 'tile', t).toBe((await ask('tilePath', t)).ok)
      }),
      RUNS
    )
  })
})

describe('credentials in a proxy URL, as go’s url.Parse reads them', () => {
  const USERINFO_CHARS = [...'abz09AZ:@%!$&\'()*+,;=~-._/?#[]\\é ', '%40', '%3A', '%zz', '%4', '%2F']

  it('a URL the action takes is one go takes, with the same user, password and host; the userinfo go takes, the action takes', async () => {
    await fc.assert(
      fc.asyncProperty(textOf(USERINFO_CHARS, ['ghp_x', 'x-oauth-basic', 's3cr@t', 'ci:'], 12), async userinfo => {
        const url = `https://${userinfo}@host.example.com/go`
        const theirs = await ask('userinfo', url)
        let ours: ReturnType<typeof userinfoOf>
        try {
          ours = userinfoOf(url)
        } catch {
          // Refused: go refuses it too, or reads no user, or reads bytes that are not text (which go's JSON shows as U+FFFD).
          const [user, password] = theirs.ok ? (JSON.parse(theirs.out as string) as string[]) : ['', '']
          expect(user === '' || `${user}${password}`.includes('\ufffd'), url).toBe(true)
          return
        }
        let taken = true
        try {
          parseCandidates(url)
        } catch {
          taken = false
        }
        if (!taken) return
        expect(theirs.ok, url).toBe(true)
        const [user, password, host] = JSON.parse(theirs.out as string) as string[]
        expect({ user: ours?.username ?? '', password: ours?.password ?? '' }, url).toEqual({ user, password })
        // What the action's HTTP client sends: the WHATWG reading, decoded, must be go's too.
        const whatwg = new URL(url)
        // (host names compare without case, as DNS does)
        expect({ user: decodeURIComponent(whatwg.username), password: decodeURIComponent(whatwg.password), host: whatwg.host }, url).toEqual({ user, password, host: host?.toLowerCase() })
      }),
      RUNS
    )
  })

  // go prints a URL's credentials escaped its own way (url.Userinfo's String, and Redacted, which
  // keeps the user name) in its error lines, which the action does not control: that form must be
  // among the secrets the runner masks, for every character a user name or password can hold.
  const ASCII = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(i))
  const SAMPLES = [...ASCII.map(c => `u${c}x`), 'to!ken', "it's(1)*", '"<q>"', 'a b\tc', 'é', '日本', '😀', '\u00a0', '\u2028', 'x\u007fy', '%41', '!$&\'()*+,;=:@/?#[]']

  it('the form go prints each user name and password in is one secretsIn gives, and masking what go prints leaves none of it', async () => {
    /** Written in the URL with every byte %-escaped (none as go prints it), so that go and the action read it back as it is. */
    const written = (text: string) => [...Buffer.from(text)].map(b => `%${b.toString(16).padStart(2, '0')}`).join('')
    const pairs = SAMPLES.map((user, i) => [user, SAMPLES[(i + 7) % SAMPLES.length]!.replace(/^u/, 'p')] as const)
    const answers = await go.ask('userinfoString', pairs.map(pair => JSON.stringify(pair)))
    pairs.forEach(([user, password], i) => {
      const answer = answers[i]!
      expect(answer.ok, answer.out).toBe(true)
      const [both, userAlone, redacted] = JSON.parse(answer.out as string) as [string, string, string]
      const url = `https://${written(user)}:${written(password)}@host.example.com/go`
      expect(userinfoOf(url), url).toMatchObject({ username: user, password })
      const secrets = secretsIn(url)
      // go escapes every `:` of the user name, so the first one in the pair is the separator.
      const goPassword = both.slice(both.indexOf(':') + 1)
      for (const form of [userAlone, goPassword]) expect(secrets, `${JSON.stringify(user)} ${JSON.stringify(password)}: ${form}`).toContain(form)
      expect(maskSecrets(redacted, secrets), url).toBe('https://***:xxxxx@h')
      expect(maskSecrets(`https://${both}@h`, secrets), url).toMatch(/^https:\/\/\*\*\*(:\*\*\*)?@h$/)
    })
  })
})

describe('request paths', () => {
  const RAW = ['a', 'b', 'Z', '.', '..', '/', '%2F', '%2f', '%2e', '%2E%2E', '!', '%21', '%2521', '%', '%zz', '@v', '@latest', 'list', '.info', '.mod', '.zip', 'v1.0.0', 'example.com', '\\', '%5C', '%00', ' ', '~1']

  it('a path it accepts names a checked module and version, stays under the store, and reads back the same', async () => {
    const store = '/store'
    await fc.assert(
      fc.asyncProperty(textOf(RAW, ['example.com/a/@v/', 'example.com/!a/@v/v1.0.0', '../', '%2E%2E%2F'], 16), async raw => {
        const asked = parseRequestPath(raw)
        if ('problem' in asked) return
        expect((await ask('checkPath', asked.module)).ok, raw).toBe(true)
        if ('version' in asked) expect(unescapeVersion(escapeVersion(asked.version))).toBe(asked.version)
        expect(asked.path.split('/').some(e => e === '..' || e === '.' || e === '')).toBe(false)
        expect(path.resolve(store, asked.path).startsWith(`${store}/`), raw).toBe(true)
        // As a candidate receives it (%-encoded as go sends it), it names the same.
        expect(parseRequestPath(wirePath(asked.path))).toEqual(asked)
      }),
      RUNS
    )
  })
})

describe('module zips, as x/mod/zip.CheckZip takes them before go extracts one', () => {
  const prefix = 'example.com/m@v1.0.0/'
  /** Plain elements, and elements on the rules' edges: case, reserved names, dots, characters go refuses, letters it folds with Unicode's tables. */
  const PLAIN = ['a', 'b', 'x.go', 'A', 'B.go', 'LICENSE', 'go.mod', '.x', 'x y', 'a~1', '#']
  const EDGE = ['X.go', 'GO.MOD', 'Go.mod', 'con', 'CON.x', 'com1', 'Lpt9.go', 'com0', 'x.', '..', '.', 'a:b', 'é', 'ſ', 's', 'σ', 'ς', 'K', 'k', 'İ', 'x\\y', '']
  const element = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...PLAIN) }, { weight: 1, arbitrary: fc.constantFrom(...EDGE) })
  const names = fc.array(
    fc.tuple(fc.array(element, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.constantFrom(prefix, prefix, prefix, prefix, prefix, prefix, 'example.com/other@v1.0.0/', 'example.com/m@v1.0.0')).map(
      ([elems, dir, head]) => `${head}${elems.join('/')}${dir ? '/' : ''}`
    ),
    { minLength: 1, maxLength: 5 }
  )
  /** Sizes the directory declares: mostly small, sometimes on x/mod's MaxGoMod and MaxLICENSE (16 MiB) or past them. */
  const size = fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(16 << 20, (16 << 20) + 1) })
  const entries = names.chain(list => fc.tuple(...list.map(name => fc.tuple(fc.constant(name), size))))

  it('writes out no zip go would refuse to extract', async () => {
    let taken = 0
    await fc.assert(
      fc.asyncProperty(entries, async list => {
        if (!extractable(list.map(([name, size]) => ({ name, size })), prefix)) return
        taken++
        const answer = await ask('checkZip', JSON.stringify(list))
        expect(answer.ok, `${list.map(([name, size]) => `${name} (${size})`).join(' ')}: ${answer.out}`).toBe(true)
      }),
      RUNS
    )
    // Not a property of nothing: many of the lists are ones it takes.
    expect(taken).toBeGreaterThan(RUNS.numRuns / 10)
  })
})
