// The hashing threads inflate every file of every zip through inflater.ts: through node's own
// zlib handle on the node the action ships with, through inflateRawSync elsewhere. Both must give
// zlib's bytes exactly, stop a file that inflates past its size, and refuse bad data.
import { randomBytes } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { deflateRawSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { Inflater } from '../src/fetch/inflater.ts'

/** Text-like bytes that compress well, random bytes that do not, and an empty file. */
const samples: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['a line', Buffer.from('package m\n')],
  ['700 KiB of source-like text', Buffer.from('func f(x int) int { return x * 2 }\n'.repeat(20_000))],
  ['1 MiB random', randomBytes(1 << 20)],
  ['3 MiB of zeros', Buffer.alloc(3 << 20)]
]

function collect(run: (take: (piece: Buffer) => void) => void): Buffer {
  const pieces: Buffer[] = []
  // Pieces are views of a reused buffer: copied as they come.
  run(piece => pieces.push(Buffer.from(piece)))
  return Buffer.concat(pieces)
}

/** `raw` written at offset 100 of a new file, and the file's descriptor. */
function inFile(raw: Buffer): number {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'inflate-')), 'entry')
  writeFileSync(file, Buffer.concat([randomBytes(100), raw, randomBytes(50)]))
  return openSync(file, 'r')
}

describe('inflating zip entries', () => {
  it("inflates through node's own zlib handle on this node (else hashing is slower and large files are whole in memory)", () => {
    expect(new Inflater().piecewise).toBe(true)
    expect(new Inflater(false).piecewise).toBe(false)
  })

  for (const nodeHandle of [true, false]) {
    describe(nodeHandle ? "through node's handle" : 'through inflateRawSync', () => {
      it('gives zlib its own bytes back, from memory and from a file, the engine reused from entry to entry', () => {
        const inflater = new Inflater(nodeHandle)
        for (const [what, content] of samples) {
          const raw = deflateRawSync(content)
          expect(collect(take => inflater.inflate(raw, content.length, take)).equals(content), what).toBe(true)
          const fd = inFile(raw)
          try {
            expect(collect(take => inflater.inflateFile(fd, 100, raw.length, content.length, take)).equals(content), what).toBe(true)
          } finally {
            closeSync(fd)
          }
        }
      })

      it('stops a file that inflates past its size, or refuses it', () => {
        const inflater = new Inflater(nodeHandle)
        const bomb = deflateRawSync(Buffer.alloc(64 << 20))
        let out = 0
        try {
          inflater.inflate(bomb, 1000, piece => (out += piece.length))
          // Stopped after a piece at most, not after 64 MiB.
          expect(out).toBeGreaterThan(1000)
          expect(out).toBeLessThanOrEqual(256 << 10)
        } catch (e) {
          expect(nodeHandle, (e as Error).message).toBe(false)
        }
      })

      it('refuses data that is not deflate, then inflates the next entry', () => {
        const inflater = new Inflater(nodeHandle)
        const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x12, 0x34])
        expect(() => inflater.inflate(garbage, 100, () => {})).toThrow()
        const content = Buffer.from('still here\n')
        expect(collect(take => inflater.inflate(deflateRawSync(content), content.length, take)).equals(content)).toBe(true)
      })

      it('gives fewer bytes, or refuses, a stream cut short', () => {
        const inflater = new Inflater(nodeHandle)
        const content = randomBytes(100_000)
        const raw = deflateRawSync(content)
        try {
          expect(collect(take => inflater.inflate(raw.subarray(0, raw.length - 500), content.length, take)).length).toBeLessThan(content.length)
        } catch (e) {
          expect((e as Error).message).toMatch(/end of file|deflate/)
        }
      })
    })
  }
})
