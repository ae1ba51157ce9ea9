// Imported first by every benchmark and the demo: their temporary files (module caches, step
// files, universes, tool caches) go into one directory of their own, removed when the script
// exits, so that repeated runs do not fill the disk. Child processes inherit TMPDIR.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const scratch = mkdtempSync(path.join(os.tmpdir(), 'go-mod-download-bench-'))
process.env.TMPDIR = scratch
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }))
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))
