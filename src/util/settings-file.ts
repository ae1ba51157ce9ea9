// Files the user's settings name (a .netrc, a certificate bundle, go's settings file): read as go
// reads them, through links, but opened without waiting and read only if regular. A FIFO put at
// such a path (anyone who can write a self-hosted runner's home directory can leave one) would
// block the read, and with it the step's only thread, past every bound and even SIGTERM.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs'

/** The text of the regular file at `file`; throws as opening it throws (ENOENT…), or `not a regular file`. */
export function readSettingsFile(file: string, encoding: BufferEncoding = 'utf8'): string {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  try {
    if (!fstatSync(fd).isFile()) throw new Error('not a regular file')
    return readFileSync(fd, encoding)
  } finally {
    closeSync(fd)
  }
}
