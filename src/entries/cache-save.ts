// The cache save's own process. @actions/cache can end the process that calls it: when the
// service refuses one chunk of a large entry (HTTP 500), it closes the archive while another
// chunk is still being read, and that read's EBADF is thrown from an event handler, where no
// caller can catch it. Here that ends this process alone, and the step goes on with a warning;
// past its deadline the save is killed with its tar. argv: the entry folder, the key; the
// result goes out on one marked line.
import * as cache from '@actions/cache'
import { endWithStep, finish } from '../cache/child.ts'
import type { SaveResult } from '../cache/service.ts'
import { archiveBase } from '../cache/unpack.ts'

const [dir, key] = process.argv.slice(2)
if (!dir || !key) throw new Error('usage: save <entry folder> <key>')
endWithStep()
// The library runs tar from the workspace, naming members by their path from it, and passes it
// to tar split at spaces: a workspace with a space failed every save (actions/cache#1580). From
// the file system's root, members are the folder's own path, as the restore expects them.
process.env.GITHUB_WORKSPACE = archiveBase(dir)
// saveCache logs its own failures: before the entry is reserved (a key another job saved first
// among them) it returns -1; after, it returns the entry's id anyway, and saveEntry reads the log.
finish({ id: await cache.saveCache([dir], key) } satisfies SaveResult)
