// Finding and downloading a cache entry with @actions/cache's own client, without its extraction.
// The library's one public call that reads an entry, restoreCache, also extracts it, with
// `tar -P` relative to the workspace and no check of any member (unpack.ts does that instead);
// and it reports a download that broke off as a miss. It has no call that only downloads. So
// this makes the calls restoreCache itself makes to find and fetch the archive, for both of
// its service protocols, from the library's own files (its package exports lib/cache.js only):
// the version package-lock.json pins, type-checked against the library's declarations.
import type { DownloadOptions } from '@actions/cache'
import { downloadCache, getCacheEntry } from '../../node_modules/@actions/cache/lib/internal/cacheHttpClient.js'
import { getCacheVersion, getCompressionMethod } from '../../node_modules/@actions/cache/lib/internal/cacheUtils.js'
import { getCacheMode, getCacheServiceVersion, isCacheReadable } from '../../node_modules/@actions/cache/lib/internal/config.js'
import { internalCacheTwirpClient } from '../../node_modules/@actions/cache/lib/internal/shared/cacheTwirpClient.js'

export interface FoundEntry {
  /** The key it was saved under: the primary key or one the restore keys prefix. */
  key: string
  url: string
  options: DownloadOptions
}

/**
 * The best entry for the keys, saved from `paths` (the service ties an entry to them and to the
 * compression restoreCache would pick), or undefined when there is none or reading is not
 * allowed here. A service that fails throws.
 */
export async function findEntry(paths: string[], key: string, restoreKeys: string[]): Promise<FoundEntry | undefined> {
  if (!isCacheReadable(getCacheMode())) return undefined
  const compressionMethod = await getCompressionMethod()
  if (getCacheServiceVersion() === 'v2') {
    const version = getCacheVersion(paths, compressionMethod)
    const found = await internalCacheTwirpClient().GetCacheEntryDownloadURL({ key, restoreKeys, version })
    // As restoreCacheV2, which downloads these through the Azure SDK.
    return found.ok ? { key: found.matchedKey, url: found.signedDownloadUrl, options: { useAzureSdk: true } } : undefined
  }
  const found = await getCacheEntry([key, ...restoreKeys], paths, { compressionMethod })
  return found?.archiveLocation && found.cacheKey ? { key: found.cacheKey, url: found.archiveLocation, options: {} } : undefined
}

/** Downloads the entry's archive to `file`; throws when the download fails or comes short. */
export function downloadEntry(entry: FoundEntry, file: string): Promise<void> {
  return downloadCache(entry.url, file, entry.options)
}
