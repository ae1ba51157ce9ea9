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
