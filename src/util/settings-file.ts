// Files the user's settings name (a .netrc, a certificate bundle, go's settings file): read as go
// reads them, through links, but opened without waiting and read only if regular. A FIFO put at
// such a path (anyone who can write a self-hosted runner's home directory can leave one) would
// block the read, and with it the step's only thread, past every bound and even SIGTERM.
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs'
import os from 'node:os'

/** The text of the regular file at `file` ('' for the null device); throws as opening it throws (ENOENT…), or `not a regular file`. */
export function readSettingsFile(file: string, encoding: BufferEncoding = 'utf8'): string {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  try {
    const stats = fstatSync(fd)
    // `NETRC=/dev/null` is how a setting is emptied (go reads it as an empty file): no wait, no bytes.
    if (isNullDevice(stats)) return ''
    if (!stats.isFile()) throw new Error('not a regular file')
    return readFileSync(fd, encoding)
  } finally {
    closeSync(fd)
  }
}

function isNullDevice(stats: Stats): boolean {
  if (!stats.isCharacterDevice()) return false
  try {
    const nul = statSync(os.devNull)
    return nul.isCharacterDevice() && nul.rdev === stats.rdev
  } catch {
    return false
  }
}
