// Small filesystem walks shared by the watchdog and the cache.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { openDirAt } from './confined.ts'

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
 * Directories are opened without following a link and changed through their descriptor: a
 * link where a directory was (planted, or swapped in meanwhile) never has its target changed.
 */
export async function makeDirsWritable(dir: string): Promise<void> {
  const opened = openDirAt(dir)
  if (!opened) return
  try {
    const mode = opened.mode()
    if ((mode & 0o200) === 0) opened.chmod(mode | 0o200)
    for (const entry of await fs.readdir(opened.path, { withFileTypes: true })) {
      if (entry.isDirectory()) await makeDirsWritable(opened.entry(entry.name))
    }
  } finally {
    opened.close()
  }
}
