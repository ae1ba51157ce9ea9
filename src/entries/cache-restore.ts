// The cache restore's own process, so that a restore past its deadline can be killed instead of
// writing into the staging folder later, while go runs. It finds the entry, downloads it, and
// unpacks it into the entry folder, refusing any member that would land outside it or is not a
// regular file or directory (unpack.ts). argv: the entry folder's path (the service's name for
// the entry), the same folder and where to put the archive named through the staging folder's
// descriptor, inherited from the step (staging.ts: nothing is written elsewhere should a
// directory above be swapped meanwhile), the key, then the restore keys; the result goes out on
// one marked line.
import { isFeatureAvailable } from '@actions/cache'
import { endWithStep, finish } from '../cache/child.ts'
import { downloadEntry, findEntry } from '../cache/entry-client.ts'
import { READ_DENIED } from '../cache/mode.ts'
import { REFUSED_SHOWN, type RestoreResult } from '../cache/service.ts'
import { unpack } from '../cache/unpack.ts'

const [dir, held, archive, key, ...restoreKeys] = process.argv.slice(2)
if (!dir || !held || !archive || !key) throw new Error('usage: restore <entry folder> <entry folder held> <archive> <key> [restore keys…]')
endWithStep()
if (!isFeatureAvailable()) finish({ available: false, matchedKey: null } satisfies RestoreResult)
const found = await findEntry([dir], key, restoreKeys).catch((e: Error) => {
  // A token without readable cache scopes: a policy, said as one, not a failed restore.
  if (e.message.includes(READ_DENIED)) finish({ available: true, matchedKey: null, denied: e.message } satisfies RestoreResult)
  throw e
})
if (!found) finish({ available: true, matchedKey: null } satisfies RestoreResult)
try {
  await downloadEntry(found, archive)
  const { refused, files, bytes } = await unpack(archive, dir, held)
  finish({ available: true, matchedKey: found.key, files, bytes, refused: refused.slice(0, REFUSED_SHOWN), refusedCount: refused.length } satisfies RestoreResult)
} catch (e) {
  // Found but not restored: a download that broke off, an archive that does not read.
  finish({ available: true, matchedKey: found.key, error: (e as Error).message } satisfies RestoreResult)
}
