// Inside the restore process: @actions/cache's restore, its result on one marked line.
import * as cache from '@actions/cache'
import { RESULT_MARKER, type RestoreResult } from './cache.ts'


/** argv: the path to restore, the key, then the restore keys. */
export async function runRestore(): Promise<void> {
  const [dir, key, ...restoreKeys] = process.argv.slice(2)
  if (!dir || !key) throw new Error('usage: restore <path> <key> [restore keys…]')
  const result: RestoreResult = cache.isFeatureAvailable()
    ? { available: true, matchedKey: (await cache.restoreCache([dir], key, restoreKeys)) ?? null }
    : { available: false, matchedKey: null }
  console.log(RESULT_MARKER + JSON.stringify(result))
}
