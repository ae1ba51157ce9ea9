// Once per `npm test`: build the test tools a fresh machine does not have yet, and give the run
// a temporary directory of its own. Tests make thousands of temporary directories (module
// caches, universes, step files); every test file's process inherits TMPDIR from here, so they
// all land in one directory that is removed when the run ends, passed or failed.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ensureTools } from './tools.ts'

export default async function setup(): Promise<() => void> {
  await ensureTools()
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'go-mod-download-tests-'))
  // Passable, not listable: squid, started as root, works as another user inside its own directory here.
  chmodSync(scratch, 0o711)
  process.env.TMPDIR = scratch
  return () => rmSync(scratch, { recursive: true, force: true, maxRetries: 3 })
}
