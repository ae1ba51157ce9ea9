// Inside the restore process: @actions/cache's restore, its result on one marked line.
import * as cache from '@actions/cache'

/** Starts the line that carries the result; everything else the process prints is the log. */
export const RESULT_MARKER = 'go-mod-download restore result: '

/** argv: the path to restore, the key, then the restore keys. */
export async function runRestore(): Promise<void> {
  const [dir, key, ...restoreKeys] = process.argv.slice(2)
  if (!dir || !key) throw new Error('usage: restore <path> <key> [restore keys…]')
  const matchedKey = await cache.restoreCache([dir], key, restoreKeys)
  console.log(RESULT_MARKER + JSON.stringify({ matchedKey: matchedKey ?? null }))
}
