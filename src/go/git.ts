// The git that go runs for `direct` fetches: what the watchdog needs of it, and what it must not show.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { secretsIn } from '../util/credentials.ts'
import { spawnGroup } from '../util/process.ts'

/**
 * git configuration, through the environment (GIT_CONFIG_COUNT…, after the user's own entries),
 * that writes a fetched pack to disk as it arrives. git otherwise unpacks a fetch of fewer than
 * 100 objects (go's shallow fetch of one tag) in memory and writes nothing until the last byte:
 * a slow clone that keeps receiving looked stalled to the watchdog, which counts the bytes
 * arriving in the module cache (`cache/vcs` for git), and was killed. Kept as given when the
 * user set an unpack limit there, or when GIT_CONFIG_COUNT is not a count (git refuses it anyway).
 */
export function packsOnDisk(base: Record<string, string>): Record<string, string> {
  const given = base.GIT_CONFIG_COUNT ?? '0'
  if (!/^\d+$/.test(given)) return {}
  const count = Number(given)
  for (let i = 0; i < count; i++) {
    if (/^(fetch|transfer)\.unpacklimit$/i.test(base[`GIT_CONFIG_KEY_${i}`] ?? '')) return {}
  }
  return { GIT_CONFIG_COUNT: String(count + 1), [`GIT_CONFIG_KEY_${count}`]: 'fetch.unpackLimit', [`GIT_CONFIG_VALUE_${count}`]: '1' }
}

const GIT_CONFIG_TIMEOUT_MS = 5000

/**
 * The credentials in git's URL rewriting (`url.<base>.insteadOf`, in any configuration go's git
 * reads: system, global, the environment's), each part as secretsIn gives it. The rewritten URL
 * is git's alone, yet git prints it in places (GIT_TRACE names the remote helper with it), and go
 * quotes git's words in its errors. Read where go runs git (`dir`, the module cache, or the
 * nearest folder above it that exists yet). None when git is missing or says nothing.
 */
export async function gitSecrets(dir: string, env: Record<string, string>): Promise<string[]> {
  let cwd = path.resolve(dir)
  while (!existsSync(cwd) && path.dirname(cwd) !== cwd) cwd = path.dirname(cwd)
  const lines: string[] = []
  // In a group of its own: a git that hangs is killed with whatever it started, and the wait ends.
  const child = spawnGroup('git', ['config', '--null', '--get-regexp', '^url\\..*\\.(push)?insteadof$'], { cwd, env, onLine: line => lines.push(line) })
  const deadline = setTimeout(() => void child.kill(), GIT_CONFIG_TIMEOUT_MS)
  try {
    // No such entries (exit 1), or no answer in time: nothing to mask.
    if ((await child.exited).code !== 0) return []
  } catch {
    // No git.
    return []
  } finally {
    clearTimeout(deadline)
  }
  return lines
    .join('\n')
    .split('\0')
    .filter(entry => entry !== '')
    .flatMap(entry => {
      const newline = entry.indexOf('\n')
      const key = newline < 0 ? entry : entry.slice(0, newline)
      const base = key.replace(/^url\./i, '').replace(/\.(push)?insteadof$/i, '')
      return [...secretsIn(base), ...(newline < 0 ? [] : secretsIn(entry.slice(newline + 1)))]
    })
}
