// Paths the user's settings name, read before any request: a .netrc (goauth.test.ts), a
// certificate bundle or directory, go's settings file (GOENV), which go env itself reads. A FIFO
// put at one would block a read, and with it the step's only thread, past every bound and even
// SIGTERM. Each read must refuse it at once, and go env, which waits on it, must be bounded.
// Each check runs in a node of its own, bounded, so that a hang is a failure and not the test
// runner's end; the FIFOs are then opened for writing, which frees whatever still waits on them.
import { closeSync, constants, mkdirSync, mkdtempSync, openSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadGoAuth } from '../src/net/goauth.ts'
import { readSettingsFile } from '../src/util/settings-file.ts'
import { output } from '../src/util/process.ts'
import { goBinary } from './support/go.ts'
import { answersBeside } from './support/hung-mount.ts'

const src = path.join(import.meta.dirname, '..', 'src')
const module = (file: string) => JSON.stringify(path.join(src, file))

/** FIFOs at `names` under a folder of their own, and what lets go of any reader waiting on them. */
function fifos(...names: string[]): { dir: string; paths: string[]; release: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'settings-fifo-'))
  const paths = names.map(name => path.join(dir, name))
  for (const fifo of paths) {
    mkdirSync(path.dirname(fifo), { recursive: true })
    execFileSync('mkfifo', [fifo])
  }
  const release = () => {
    for (const fifo of paths) {
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK))
      } catch {
        // No reader waiting.
      }
    }
  }
  return { dir, paths, release }
}

describe.skipIf(process.platform !== 'linux')('a FIFO where a setting names a file', () => {
  it('readSettingsFile: refused at once, by name; a regular file is read through a link', async () => {
    const { paths, release } = fifos('fifo')
    const said: string[] = []
    const code = `
      import { readSettingsFile } from ${module('util/settings-file.ts')}
      try { readSettingsFile(${JSON.stringify(paths[0])}) } catch (e) { console.log('answered', e.message) }`
    expect(await answersBeside({ release }, code, 5_000, out => said.push(out))).toBe(true)
    expect(said.join('')).toContain('answered not a regular file')
    expect(readSettingsFile('/proc/self/status')).toContain('Name:')
  }, 20_000)

  it('the null device reads as empty, as go reads it (NETRC=/dev/null empties the setting); other devices are refused', async () => {
    expect(readSettingsFile(os.devNull)).toBe('')
    await expect(loadGoAuth('netrc', { NETRC: os.devNull }, 'linux')).resolves.toBeDefined()
    expect(() => readSettingsFile('/dev/zero')).toThrow('not a regular file')
  })

  it('SSL_CERT_FILE, a file of SSL_CERT_DIR and NODE_EXTRA_CA_CERTS: skipped at once', async () => {
    const { dir, paths, release } = fifos('bundle.pem', 'certs/a.pem')
    const said: string[] = []
    const env = { SSL_CERT_FILE: paths[0], SSL_CERT_DIR: path.join(dir, 'certs'), NODE_EXTRA_CA_CERTS: paths[0] }
    const code = `
      import { loadTrust } from ${module('net/trust.ts')}
      console.log('answered', loadTrust(${JSON.stringify(env)}, 'linux').certificates.length)`
    expect(await answersBeside({ release }, code, 5_000, out => said.push(out))).toBe(true)
    expect(said.join('')).toContain('answered 0')
  }, 20_000)

  it('GOENV: the toolchain choice reads past it at once', async () => {
    const { paths, release } = fifos('go.env')
    const said: string[] = []
    const code = `
      import { userToolchain } from ${module('toolchain/select.ts')}
      console.log('answered', userToolchain({}, ${JSON.stringify(paths[0])}, '/nonexistent-goroot'))`
    expect(await answersBeside({ release }, code, 5_000, out => said.push(out))).toBe(true)
    expect(said.join('')).toContain('answered auto')
  }, 20_000)

  it('GOENV: go env, which waits on it, is killed at its bound and the wait said', async () => {
    const { paths, release } = fifos('go.env')
    const said: string[] = []
    const env = { ...process.env, GOENV: paths[0] }
    const code = `
      import { output } from ${module('util/process.ts')}
      await output(${JSON.stringify(goBinary())}, ['env', '-json', 'GOPROXY'], { cwd: '/', env: ${JSON.stringify(env)}, timeoutMs: 1500 }).then(
        () => console.log('answered: go env ended'),
        e => console.log('answered', e.message))`
    expect(await answersBeside({ release }, code, 6_000, out => said.push(out))).toBe(true)
    expect(said.join('')).toContain('answered go env did not finish within 1.5s, and was killed')
  }, 20_000)

  it('a short command past its bound is killed with everything it started: nothing waits on, or outlives, a child holding its output', async () => {
    const marker = `${300 + Math.floor(Math.random() * 1000)}.25`
    const started = performance.now()
    await expect(output('sh', ['-c', `sleep ${marker} & sleep ${marker}`], { env: { PATH: process.env.PATH ?? '' }, timeoutMs: 1000 })).rejects.toThrow('sh -c did not finish within 1.0s, and was killed')
    expect(performance.now() - started).toBeLessThan(4000)
    await new Promise(resolve => setTimeout(resolve, 200))
    expect(execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter(line => line.includes(`sleep ${marker}`))).toEqual([])
  }, 20_000)
})
