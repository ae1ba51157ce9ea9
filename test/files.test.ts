import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeDirsWritable, treeBytes } from '../src/util/files.ts'

describe('treeBytes', () => {
  it('adds up the files below a directory, and is 0 for one that does not exist', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bytes-'))
    mkdirSync(path.join(dir, 'a/b'), { recursive: true })
    writeFileSync(path.join(dir, 'one'), 'x'.repeat(10))
    writeFileSync(path.join(dir, 'a/b/two'), 'y'.repeat(32))
    expect(await treeBytes(dir)).toBe(42)
    expect(await treeBytes(path.join(dir, 'missing'))).toBe(0)
  })
})

describe('makeDirsWritable', () => {
  it('gives the owner write permission on every directory, as a read-only module cache needs before a restore', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'readonly-'))
    const module = path.join(dir, 'example.com/a@v1.0.0/sub')
    mkdirSync(module, { recursive: true })
    writeFileSync(path.join(module, 'a.go'), 'package sub\n')
    for (const d of [module, path.dirname(module), path.join(dir, 'example.com')]) chmodSync(d, 0o555)

    await makeDirsWritable(dir)

    for (const d of [module, path.dirname(module), path.join(dir, 'example.com')]) expect(statSync(d).mode & 0o777).toBe(0o755)
    // Files keep their own permissions: go verifies them, tar overwrites them.
    expect(statSync(path.join(module, 'a.go')).mode & 0o200).toBe(0o200)
    await expect(makeDirsWritable(path.join(dir, 'missing'))).resolves.toBeUndefined()
  })
})
