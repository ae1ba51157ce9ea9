// The cache restore's own process, so that a restore past its deadline can be killed with its
// tar instead of extracting into the module cache later, while go runs. argv: the path to
// restore, the key, then the restore keys; the result goes out on one marked line.
import * as cache from '@actions/cache'
import { RESULT_MARKER, type RestoreResult } from './service.ts'

const [dir, key, ...restoreKeys] = process.argv.slice(2)
if (!dir || !key) throw new Error('usage: restore <path> <key> [restore keys…]')
const result: RestoreResult = cache.isFeatureAvailable()
  ? { available: true, matchedKey: (await cache.restoreCache([dir], key, restoreKeys)) ?? null }
  : { available: false, matchedKey: null }
console.log(RESULT_MARKER + JSON.stringify(result))
process.exit()
