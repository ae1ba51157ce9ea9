// Where the module cache's entries are staged. Which of its files go.sum vouches for is the
// module protocol's (module/vouched.ts).
import path from 'node:path'
import type { Stash } from './service.ts'

/** The module cache's entries: their staging folder sits beside the download cache, where go looks for nothing. */
export const moduleStash = (modcache: string): Stash => ({ root: modcache, staging: path.join(modcache, 'cache', 'go-mod-download-staging') })
