// A mount that never answers a lookup, as a hard NFS mount whose server is gone or autofs's
// /net/<host> behaves: a loopback FUSE file system (hang-fs.py) that answers its setup and no
// lookup. Anything that looks a name up in it waits in the kernel, where no signal reaches it;
// ending the file system's server is what frees it. It needs root, /dev/fuse and python3.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'

export const canMount = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/dev/fuse') && spawnSync('python3', ['-c', '']).status === 0

/** The hung mount at `<dir>/mnt`, and what ends it (its server, then the mount); undefined when it could not be mounted. */
export async function hungMount(dir: string): Promise<{ mnt: string; release: () => void } | undefined> {
  const mnt = path.join(dir, 'mnt')
  mkdirSync(mnt)
  const server = spawn('python3', [path.join(import.meta.dirname, 'hang-fs.py'), mnt], { stdio: ['ignore', 'pipe', 'inherit'] })
  const said = await new Promise<string>(resolve => {
    server.stdout.once('data', (d: Buffer) => resolve(d.toString()))
    server.once('exit', () => resolve('exited'))
  })
  const release = () => {
    server.kill()
    spawnSync('umount', ['-l', mnt])
  }
  if (said.startsWith('mounted')) return { mnt, release }
  release()
  return undefined
}

/**
 * Whether `code` (an ES module that prints `answered` when its call returns) answers within `ms`
 * in a node of its own, beside the mount; the mount is then released, which frees the node if
 * it is waiting on it (nothing else does, SIGKILL included), and the node is waited for; `said`
 * is given what it printed.
 */
export async function answersBeside(mount: { release: () => void }, code: string, ms: number, said?: (out: string) => void): Promise<boolean> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise(resolve => child.once('exit', resolve))
  const started = performance.now()
  while (!out.includes('answered') && performance.now() - started < ms) await new Promise(resolve => setTimeout(resolve, 50))
  const answered = out.includes('answered')
  mount.release()
  await exited
  said?.(out)
  return answered
}
