// What the restore and save processes share: they end with the step, and their result goes out
// on one marked line.
import { RESULT_MARKER } from './service.ts'

/** How often a cache process looks whether the step that started it is still there. */
const WATCH_MS = 250

/**
 * Ends this process, and what it started (tar), once the step that started it is gone: a step
 * killed outright (SIGKILL, a runner that gave up on it) cannot kill them, and they would go on
 * writing into a staging folder the next run reclaims. The step's death makes this process an
 * orphan, whose parent is another process from then on.
 */
export function endWithStep(): void {
  const step = process.ppid
  setInterval(() => {
    if (process.ppid === step) return
    // This process leads its own group (POSIX): the group is it and its tar.
    if (process.platform !== 'win32') process.kill(-process.pid, 'SIGKILL')
    process.exit(1)
  }, WATCH_MS).unref()
}

/** Prints the result on its marked line and ends the process. */
export function finish(result: unknown): never {
  console.log(RESULT_MARKER + JSON.stringify(result))
  process.exit()
}
