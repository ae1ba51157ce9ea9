import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { treeBytes } from '../src/util/files.ts'

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
