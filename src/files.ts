// Small filesystem walks shared by the watchdog and the cache.
import { promises as fs } from 'node:fs'
import path from 'node:path'

/** Total bytes of the files under dir; 0 when it does not exist. Files vanishing mid-walk are skipped. */
export async function treeBytes(dir: string): Promise<number> {
  let entries
  try {
    entries = await fs.readdir(dir, { withFileTypes: true })
  } catch {
    return 0
  }
  let total = 0
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) total += await treeBytes(full)
    else if (entry.isFile()) total += await fs.stat(full).then(s => s.size, () => 0)
  }
  return total
}

/**
 * Gives the owner write permission on every directory under dir. go leaves its module cache
 * read-only unless -modcacherw was used, and tar cannot restore into read-only directories.
 */
export async function makeDirsWritable(dir: string): Promise<void> {
  let stat
  try {
    stat = await fs.stat(dir)
  } catch {
    return
  }
  if (!stat.isDirectory()) return
  if ((stat.mode & 0o200) === 0) await fs.chmod(dir, stat.mode | 0o200)
  const entries = await fs.readdir(dir, { withFileTypes: true })
  for (const entry of entries) {
    if (entry.isDirectory()) await makeDirsWritable(path.join(dir, entry.name))
  }
}
