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
