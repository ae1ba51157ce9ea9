// The folder an entry is saved from and restored into. The cache service ties an entry to the
// paths it was saved with (its version hashes them), so the path must stay the same from run to
// run; but a save must hold only what this job needs (what go.sum implies, what the build used),
// and must not delete anything from a cache that other projects share. So the entry is a
// staging folder inside go's cache: a save hard-links the chosen files into it (no copy), a
// restore extracts into it and then moves each file into go's cache where nothing is there yet.
// The folder is claimed while in use, so that two jobs sharing a runner's caches do not mix
// their entries.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { makeDirsWritable } from '../files.ts'

/** A folder older than this is a leftover of a job that was killed, not one in use. */
const STALE_MS = 60 * 60 * 1000

export interface Staging {
  dir: string
  release: () => Promise<void>
}

/** Takes the staging folder at `dir`, empty; throws when another job has it. */
export async function claimStaging(dir: string): Promise<Staging> {
  await fs.mkdir(path.dirname(dir), { recursive: true })
  for (let tries = 0; ; tries++) {
    try {
      await fs.mkdir(dir)
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 0) throw e
      const age = Date.now() - (await fs.stat(dir)).mtimeMs
      if (age < STALE_MS) throw new Error(`another job on this runner is using ${dir}`, { cause: e })
      await remove(dir)
    }
  }
  return { dir, release: () => remove(dir) }
}

/** Links each path (a file or a tree, relative to root) that exists into the staging folder; returns the bytes staged. */
export async function stage(root: string, dir: string, paths: string[]): Promise<number> {
  let bytes = 0
  const link = async (from: string, to: string): Promise<void> => {
    const info = await fs.lstat(from).catch(() => undefined)
    if (info?.isDirectory()) {
      await fs.mkdir(to, { recursive: true })
      for (const name of await fs.readdir(from)) await link(path.join(from, name), path.join(to, name))
    } else if (info?.isFile()) {
      await fs.mkdir(path.dirname(to), { recursive: true })
      // A module cache on another filesystem cannot be linked to: copied instead.
      await fs.link(from, to).catch(() => fs.copyFile(from, to))
      bytes += info.size
    }
  }
  for (const rel of paths) await link(path.join(root, rel), path.join(dir, rel))
  return bytes
}

/** Moves what a restore left in the staging folder under root, keeping whatever is there already (for a module cache, the check that follows hashes it). */
export async function unstage(dir: string, root: string): Promise<void> {
  // Moving a directory to another parent needs write permission on it; archives keep go's read-only modes.
  await makeDirsWritable(dir)
  await merge(dir, root)
}

async function merge(from: string, to: string): Promise<void> {
  await makeWritable(to)
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name)
    const target = path.join(to, entry.name)
    const there = await fs.lstat(target).catch(() => undefined)
    if (!there) await fs.rename(source, target).catch(() => fs.cp(source, target, { recursive: true }))
    else if (there.isDirectory() && entry.isDirectory()) await merge(source, target)
  }
}

/** go leaves module directories read-only; tar and rename need to write into them. */
async function makeWritable(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true })
  const { mode } = await fs.stat(dir)
  if ((mode & 0o200) === 0) await fs.chmod(dir, mode | 0o200)
}

async function remove(dir: string): Promise<void> {
  await makeDirsWritable(dir)
  await fs.rm(dir, { recursive: true, force: true })
}
