// Real processes: a group leader with children, killed as one tree.
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { spawnGroup } from '../src/util/process.ts'

/** Alive and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

describe.runIf(process.platform === 'linux')('spawnGroup', () => {
  it('streams lines and reports the exit code', async () => {
    const lines: string[] = []
    const child = spawnGroup('sh', ['-c', 'echo one; echo two >&2; exit 3'], { cwd: '/', env: { PATH: process.env.PATH ?? '' }, onLine: l => lines.push(l) })
    expect(await child.exited).toEqual({ code: 3, signal: null })
    expect(lines.sort()).toEqual(['one', 'two'])
  })

  it('kills the whole tree, grandchildren included', async () => {
    const lines: string[] = []
    const child = spawnGroup('sh', ['-c', 'sleep 300 & echo $!; sleep 300 & echo $!; wait'], {
      cwd: '/',
      env: { PATH: process.env.PATH ?? '' },
      onLine: l => lines.push(l)
    })
    await expect.poll(() => lines.length).toBe(2)
    const grandchildren = lines.map(Number)
    expect(grandchildren.every(alive)).toBe(true)

    const exit = await child.kill()
    expect(exit.signal).toBe('SIGKILL')
    await expect.poll(() => grandchildren.filter(alive)).toEqual([])
  })
})

describe('a cancel while the run is ending', () => {
  // The race issue #31's save test met under load: the save's process killed by the cancel
  // returned at once, the run ended and the step exited 0 before the signal's own exit.
  const script = (signal: string) => `
    import { cancelExitCode, cleanUpOnCancel, killTreesOnSignals } from ${JSON.stringify(new URL('../src/util/process.ts', import.meta.url).pathname)}
    killTreesOnSignals()
    // A cleanup still under way when the run ends: the signal's own exit waits for it.
    cleanUpOnCancel(() => new Promise(resolve => setTimeout(resolve, 2000)))
    process.kill(process.pid, '${signal}')
    await new Promise(resolve => setImmediate(resolve))
    process.exit(cancelExitCode())`

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130]
  ])('%s: the step exits with the cancel’s code, not the run’s 0', async (signal, code) => {
    const { spawnSync } = await import('node:child_process')
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script(signal)], { encoding: 'utf8' })
    expect(child.stderr).toBe('')
    expect(child.status).toBe(code)
  })
})
