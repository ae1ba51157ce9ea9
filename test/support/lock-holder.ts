// Another process holding go's lock on a module version the way go holds it (flock(2)), through
// flock(1), in a process group of its own so that releasing it ends the command that kept it.
import { spawn, spawnSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'

export interface LockHolder {
  release: () => void
}

/** Holds an exclusive lock on `lockFile` (made if missing) until released; resolves once it is held. */
export async function holdLock(lockFile: string): Promise<LockHolder> {
  const holder = spawn('flock', ['-x', lockFile, 'sleep', '600'], { detached: true, stdio: 'ignore' })
  const release = () => {
    try {
      process.kill(-(holder.pid as number), 'SIGKILL')
    } catch {
      // Gone already.
    }
  }
  // Held once a try without waiting fails.
  for (let i = 0; i < 500; i++) {
    if (spawnSync('flock', ['-n', lockFile, 'true']).status === 1) return { release }
    await sleep(10)
  }
  release()
  throw new Error(`flock never held ${lockFile}`)
}
