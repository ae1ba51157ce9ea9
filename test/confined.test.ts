// The file operations the check and the fetch do in a module cache (src/util/confined.ts, files.ts):
// never through a link, never blocking on a FIFO or device, never writing into a file that is
// there. A call that could block runs in a child process with a time limit: blocked, it would
// hold this test's thread for good.
import { spawnSync } from 'node:child_process'
import { chmodSync, closeSync, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { NotADirectory, openDir, openRegular, readableError, removeEntry, writeReplacing } from '../src/util/confined.ts'
import { answersBeside, canMount, hungMount } from './support/hung-mount.ts'

const temp = (name = 'confined-') => mkdtempSync(path.join(os.tmpdir(), name))
const SRC = path.join(import.meta.dirname, '..', 'src')

/** Runs `code` (an ES module importing from src/) in a node of its own, killed after 10 s. */
function inChild(code: string): { status: number | null; out: string; ms: number } {
  const started = Date.now()
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 10_000 })
  return { status: child.status, out: `${child.stdout}${child.stderr}`, ms: Date.now() - started }
}

/** A directory outside, read-only, holding one file: what a link in the module cache points to. */
function readOnlyOutside(): { dir: string; file: string } {
  const dir = path.join(temp('outside-'), 'target')
  mkdirSync(dir)
  const file = path.join(dir, 'keep.txt')
  writeFileSync(file, 'outside\n')
  chmodSync(dir, 0o555)
  return { dir, file }
}

describe('directories are reached only through real directories', () => {
  it('a symlink on the way is NotADirectory, naming it; created paths are made where missing', () => {
    const root = temp()
    mkdirSync(path.join(root, 'a'))
    symlinkSync(temp('outside-'), path.join(root, 'a', 'b'))
    expect(() => openDir(root, 'a/b/c', true)).toThrow(NotADirectory)
    expect(() => openDir(root, 'a/b/c', true)).toThrow('a/b is a symlink, not a directory')
    const made = openDir(root, 'x/y/z', true)
    made.close()
    expect(statSync(path.join(root, 'x/y/z')).isDirectory()).toBe(true)
  })

  it.skipIf(process.platform !== 'linux')('what is written through an open directory lands in it, even when its path is swapped for a link to elsewhere afterwards', () => {
    const root = temp()
    const away = temp('outside-')
    const dir = openDir(root, 'cache/download/m/@v', true)
    try {
      // Swapped after the check, as another user of a group-writable module cache could.
      renameSync(path.join(root, 'cache/download/m'), path.join(root, 'cache/download/moved'))
      symlinkSync(away, path.join(root, 'cache/download/m'))
      writeFileSync(dir.entry('v1.0.0.mod'), 'module m\n', { flag: 'wx' })
    } finally {
      dir.close()
    }
    expect(readdirSync(away)).toEqual([])
    expect(readFileSync(path.join(root, 'cache/download/moved/@v/v1.0.0.mod'), 'utf8')).toBe('module m\n')
  })
})

// Directories on the way are kept open between calls (openFromKept): each is used again only
// while the kernel names it as when it was found.
describe.skipIf(process.platform !== 'linux')('directories kept open between calls', () => {
  it('one moved out of the module cache after it was kept receives nothing more: the path is walked again, and made anew', () => {
    const root = temp()
    openDir(root, 'cache/download/m/@v', true).close()
    const away = path.join(temp('outside-'), 'm')
    renameSync(path.join(root, 'cache/download/m'), away)
    const dir = openDir(root, 'cache/download/m/@v', true)
    try {
      writeFileSync(dir.entry('v1.0.0.mod'), 'module m\n', { flag: 'wx' })
    } finally {
      dir.close()
    }
    expect(readFileSync(path.join(root, 'cache/download/m/@v/v1.0.0.mod'), 'utf8')).toBe('module m\n')
    expect(readdirSync(path.join(away, '@v'))).toEqual([])
  })

  it('one moved away with a link left in its place, pointing to it, is refused as the link', () => {
    const root = temp()
    openDir(root, 'cache/download/m/sub/@v', true).close()
    const away = path.join(temp('outside-'), 'm')
    renameSync(path.join(root, 'cache/download/m'), away)
    symlinkSync(away, path.join(root, 'cache/download/m'))
    expect(() => openDir(root, 'cache/download/m/sub/@v')).toThrow('cache/download/m is a symlink, not a directory')
    expect(() => openDir(root, 'cache/download/m/sub/@v/x', true)).toThrow(NotADirectory)
    expect(readdirSync(path.join(away, 'sub/@v'))).toEqual([])
  })

  it('one removed and made again is the new one', () => {
    const root = temp()
    openDir(root, 'cache/download/m/@v', true).close()
    rmSync(path.join(root, 'cache/download/m'), { recursive: true })
    const dir = openDir(root, 'cache/download/m/@v', true)
    dir.close()
    expect(statSync(path.join(root, 'cache/download/m/@v')).isDirectory()).toBe(true)
  })

  it('a link named as the text a name that is not UTF-8 reads as (U+FFFD), beside that directory, is refused', () => {
    const root = temp()
    mkdirSync(path.join(root, 'a'))
    // A real directory named by the byte 0xFF; beside it, a link named U+FFFD pointing to it.
    mkdirSync(Buffer.from(`${root}/a/\xff/@v`, 'latin1'), { recursive: true })
    symlinkSync(Buffer.from('\xff', 'latin1'), path.join(root, 'a', '\uFFFD'))
    openDir(root, 'a/b', true).close()
    expect(() => openDir(root, 'a/\uFFFD/@v')).toThrow('a/\uFFFD is a symlink, not a directory')
    expect(() => openDir(root, 'a/\uFFFD/@v', true)).toThrow(NotADirectory)
  })

  it('a directory deeper than PATH_MAX is reached, and the walk to it kept nothing it could not name', () => {
    const root = temp()
    const deep = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(230)}`).join('/')
    const made = openDir(root, `cache/download/${deep}/@v`, true)
    writeFileSync(made.entry('v1.0.0.mod'), 'module m\n')
    made.close()
    expect(`${root}/cache/download/${deep}`.length).toBeGreaterThan(4096)
    const again = openDir(root, `cache/download/${deep}/@v`)
    expect(readFileSync(again.entry('v1.0.0.mod'), 'utf8')).toBe('module m\n')
    again.close()
  })

  it('keeps at most 64 descriptors, however many directories it walks', () => {
    const root = temp()
    const open = () => readdirSync('/proc/self/fd').length
    const before = open()
    for (let i = 0; i < 200; i++) openDir(root, `cache/download/example.com/m${i}/@v`, true).close()
    expect(open() - before).toBeLessThanOrEqual(64)
    expect(open() - before).toBeGreaterThan(0)
  })

  it('works in a PID namespace whose /proc is its parent\'s, where process.pid is another process there', () => {
    const probe = spawnSync('unshare', ['--pid', '--fork', 'true'])
    if (probe.status !== 0) return
    const root = temp()
    const code = `
      import { writeFileSync } from 'node:fs'
      import { openDir } from ${JSON.stringify(path.join(SRC, 'util/confined.ts'))}
      const dir = openDir(${JSON.stringify(root)}, 'cache/download/m/@v', true)
      writeFileSync(dir.entry('v1.0.0.mod'), 'module m\\n', { flag: 'wx' })
      dir.close()
      console.log(process.pid)`
    const child = spawnSync('unshare', ['--pid', '--fork', process.execPath, '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 10_000 })
    expect(child.stderr).toBe('')
    expect(child.stdout.trim()).toBe('1')
    expect(readFileSync(path.join(root, 'cache/download/m/@v/v1.0.0.mod'), 'utf8')).toBe('module m\n')
  })
})

// A link from the module cache to a mount that never answers a lookup (support/hung-mount.ts):
// the walk refuses the link at once; anything that looked through it would wait for good.
describe.skipIf(!canMount)('a link to a mount that never answers', () => {
  for (const call of ['openDirIfThere', 'openDir with create', 'stored']) {
    it(`${call} refuses it without looking through it`, async ({ skip }) => {
      const dir = temp('hang-')
      const mount = await hungMount(dir)
      if (!mount) return skip('no FUSE mount here')
      const { mnt } = mount
      const root = path.join(dir, 'modcache')
      mkdirSync(path.join(root, 'cache/download'), { recursive: true })
      symlinkSync(mnt, path.join(root, 'cache/download/example.com'))
      const call_ = {
        openDirIfThere: `openDirIfThere(root, 'cache/download/example.com/m/@v')`,
        'openDir with create': `openDir(root, 'cache/download/example.com/m/@v', true)`,
        stored: `new Store({ root, downloads: 'cache/download' }).stored({ module: 'example.com/m', version: 'v1.0.0', kind: 'mod', path: 'example.com/m/@v/v1.0.0.mod' })`
      }[call]
      const code = `
        import { openDir, openDirIfThere } from ${JSON.stringify(path.join(SRC, 'util/confined.ts'))}
        import { Store } from ${JSON.stringify(path.join(SRC, 'fetch/store.ts'))}
        const root = ${JSON.stringify(root)}
        try {
          ${call_}
        } catch {}
        console.log('answered')`
      const answered = await answersBeside(mount, code, 3_000)
      expect(answered).toBe(true)
    }, 20_000)
  }
})

describe('files are opened without following a link or blocking', () => {
  it('a FIFO is refused at once by what its descriptor is, never waited on for a writer, by the zip hash too', () => {
    const dir = temp()
    const fifo = path.join(dir, 'v1.0.0.zip')
    spawnSync('mkfifo', [fifo])
    const run = inChild(
      `import { openRegular } from '${SRC}/util/confined.ts'; import { hashZip } from '${SRC}/fetch/zip-hash.ts'
      for (const open of [() => openRegular('${fifo}'), () => hashZip('${fifo}')]) try { open() } catch (e) { console.log(e.message) }`
    )
    expect(run.out.trim().split('\n')).toEqual(['a FIFO, not a regular file', 'a FIFO, not a regular file'])
    expect(run.status).toBe(0)
  })

  it('a FIFO inside an extracted tree fails its hash at once', () => {
    const tree = temp()
    writeFileSync(path.join(tree, 'go.mod'), 'module m\n')
    spawnSync('mkfifo', [path.join(tree, 'pipe.go')])
    const run = inChild(`import { treeHash } from '${SRC}/fetch/tree-hash.ts'; try { treeHash('${tree}', 'm@v1.0.0') } catch (e) { console.log(e.message) }`)
    expect(run.out.trim()).toBe('m@v1.0.0/pipe.go is a FIFO, not a regular file')
  })

  it('a symlink is refused, its target never read', () => {
    const dir = temp()
    symlinkSync('/etc/hostname', path.join(dir, 'v1.0.0.mod'))
    expect(() => openRegular(path.join(dir, 'v1.0.0.mod'))).toThrow('a symlink, not a regular file')
  })
})

describe('nothing is written or changed through a link or a hard link', () => {
  it('a new file renamed over a hard link to a file elsewhere leaves that file as it was', () => {
    const root = temp()
    const away = path.join(temp('outside-'), 'file')
    writeFileSync(away, 'outside\n')
    linkSync(away, path.join(root, 'v1.0.0.ziphash'))
    const dir = openDir(root, '')
    try {
      writeReplacing(dir, 'v1.0.0.ziphash', 'h1:abc=', 'v1.0.0.ziphash.tmp')
    } finally {
      dir.close()
    }
    expect(readFileSync(away, 'utf8')).toBe('outside\n')
    expect(readFileSync(path.join(root, 'v1.0.0.ziphash'), 'utf8')).toBe('h1:abc=')
    expect(readdirSync(root)).toEqual(['v1.0.0.ziphash'])
  })

  it('removing a read-only tree removes a link in it, never what it points to, nor changes its mode', async () => {
    const root = temp()
    const tree = path.join(root, 'm@v1.0.0')
    mkdirSync(path.join(tree, 'sub'), { recursive: true })
    writeFileSync(path.join(tree, 'sub', 'a.go'), 'package sub\n')
    const outside = readOnlyOutside()
    symlinkSync(outside.dir, path.join(tree, 'sub', 'linked'))
    for (const dir of [path.join(tree, 'sub'), tree]) chmodSync(dir, 0o555)
    const dir = openDir(root, '')
    try {
      await removeEntry(dir, 'm@v1.0.0')
    } finally {
      dir.close()
    }
    expect(readdirSync(root)).toEqual([])
    expect(readFileSync(outside.file, 'utf8')).toBe('outside\n')
    expect(statSync(outside.dir).mode & 0o777).toBe(0o555)
  })

})

// More of what keeps the kept descriptors honest, each found missing by an independent review.
describe.skipIf(process.platform !== 'linux')('directories kept open between calls: what is handed out, let go, compared', () => {
  const openFds = () => readdirSync('/proc/self/fd').length
  const fdNamed = (name: string) =>
    readdirSync('/proc/self/fd')
      .map(Number)
      .filter(fd => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === name
        } catch {
          return false
        }
      })

  it('the directory handed to the caller is never a kept one: closing it leaves every kept one open', () => {
    const root = temp()
    openDir(root, 'a/b/c', true).close()
    openDir(root, 'a/b').close()
    // Kept a/b is still open (a kept one handed out and closed by the caller would be gone here).
    expect(fdNamed(`${root}/a/b`)).toHaveLength(1)
    const file = path.join(root, 'data')
    writeFileSync(file, 'hello')
    const mine = openSync(file, 'r')
    try {
      openDir(root, 'a/b/c').close()
      expect(readlinkSync(`/proc/self/fd/${mine}`)).toBe(file)
    } finally {
      closeSync(mine)
    }
  })

  it('one that no longer has its name is closed, not just forgotten', () => {
    const root = temp()
    for (let i = 0; i < 20; i++) openDir(root, `m${i}/x/@v`, true).close()
    const before = openFds()
    for (let i = 0; i < 20; i++) renameSync(path.join(root, `m${i}`), path.join(root, `gone${i}`))
    for (let i = 0; i < 20; i++) openDir(root, `m${i}/x/@v`, true).close()
    expect(openFds()).toBeLessThanOrEqual(before)
    expect(fdNamed(`${root}/gone0/x`)).toEqual([])
  })

  it('a worker thread keeps none: a long-lived hashing thread holds nothing between its walks', async () => {
    const root = temp()
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads')
       import(${JSON.stringify(path.join(SRC, 'util/confined.ts'))}).then(({ openDir }) => {
         for (let i = 0; i < 10; i++) openDir(${JSON.stringify(root)}, 'm' + i + '/x/@v', true).close()
         parentPort.postMessage('done')
         parentPort.once('message', () => parentPort.close())
       })`,
      { eval: true }
    )
    expect(await new Promise(resolve => worker.once('message', resolve))).toBe('done')
    // Still running: what it kept would be open now (node closes a worker's descriptors only when it ends).
    const held = fdNamed(`${root}/m0/x`)
    await worker.terminate()
    expect(held).toEqual([])
  })

  it('its name is compared as bytes: moved into a sibling of the root whose name reads the same as text, it is not used', () => {
    const parent = temp()
    // The root's name holds U+FFFD; its sibling's the byte 0xFF, which reads as U+FFFD.
    const root = path.join(parent, '\uFFFD')
    mkdirSync(root)
    const sibling = Buffer.from(`${parent}/\xff`, 'latin1')
    mkdirSync(sibling)
    openDir(root, 'a/b/c', true).close()
    renameSync(path.join(root, 'a'), Buffer.concat([sibling, Buffer.from('/a')]))
    const dir = openDir(root, 'a/b/c', true)
    try {
      writeFileSync(dir.entry('v1.0.0.mod'), 'module m\n', { flag: 'wx' })
    } finally {
      dir.close()
    }
    expect(existsSync(path.join(root, 'a/b/c/v1.0.0.mod'))).toBe(true)
    expect(readdirSync(Buffer.concat([sibling, Buffer.from('/a/b/c')]))).toEqual([])
  })

  it('robustness: a kept number closed elsewhere and reused by another file is not closed under that file', () => {
    const root = temp()
    openDir(root, 'a/b/c', true).close()
    const [keptAB] = fdNamed(`${root}/a/b`)
    closeSync(keptAB as number) // a double close elsewhere in the process
    const file = path.join(root, 'data')
    writeFileSync(file, 'hello')
    const mine = openSync(file, 'r')
    expect(mine).toBe(keptAB)
    try {
      openDir(root, 'a/b/c').close()
      expect(readlinkSync(`/proc/self/fd/${mine}`)).toBe(file)
    } finally {
      closeSync(mine)
    }
  })
})

describe.skipIf(process.platform !== 'linux')('readableError', () => {
  it('names a directory reached by its descriptor by its path while it is open, and leaves other words alone', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'readable-'))
    mkdirSync(path.join(root, 'a', 'b'), { recursive: true })
    const dir = openDir(root, 'a/b')
    let error: unknown
    try {
      openSync(dir.entry('missing.mod'), 'r')
    } catch (e) {
      error = e
    }
    expect((error as Error).message).toMatch(/\/proc\/\d+\/fd\/\d+\/missing\.mod/)
    expect(readableError(error)).toBe(`ENOENT: no such file or directory, open '${path.join(root, 'a', 'b')}/missing.mod'`)
    expect(readableError(new Error('larger than 10 bytes'))).toBe('larger than 10 bytes')
    dir.close()
    // Closed, its number may name another file: the descriptor is left as it was said.
    expect(readableError(error)).toBe((error as Error).message)
  })
})
