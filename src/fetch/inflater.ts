// Inflates zip entries through one zlib engine per thread, reset between entries, into buffers
// reused from piece to piece, synchronously.
//
// node's inflateRawSync builds a zlib stream object, a 32 KiB window and an output buffer of its
// own for every call; its streams cost a thread-pool round trip per piece and a buffer per piece.
// For the tens of thousands of files of a project's modules that was a third of the hashing
// threads' CPU, and the buffers waited as garbage for V8's next full collection: about 20 MiB
// in each hashing thread. Hashing a real project's 192 zips in one thread: 3.1 -> 2.2 s, user
// CPU 3.3 -> 2.2 s, the thread's allocator 28 -> 8 MiB.
//
// node has no public call that inflates into a given buffer, so this drives the stream's own
// handle as node's sync functions do (lib/zlib.js, processChunkSync): a write, then the handle's
// write state says how much of the input and output is left. Where the handle is not what this
// expects (another node), each entry is inflated whole by inflateRawSync instead: the same bytes,
// slower, and a large file whole in memory. The tests fail on a node where that happens.
import { constants, createInflateRaw, type InflateRaw, inflateRawSync } from 'node:zlib'
import { readAt } from './read-at.ts'

/** The part of node's zlib handle this drives. */
interface ZlibHandle {
  writeSync(flush: number, input: Buffer, inOffset: number, inLength: number, output: Buffer, outOffset: number, outLength: number): void
  reset(): void
}

interface Engine {
  stream: InflateRaw
  handle: ZlibHandle
  /** After a write: [output bytes left unused, input bytes left unread]. */
  state: Uint32Array
}

/** Read, and inflated, this much at a time. */
const PIECE = 256 << 10

function engine(): Engine | undefined {
  const stream = createInflateRaw() as InflateRaw & { _handle?: Partial<ZlibHandle>; _writeState?: unknown }
  const { _handle: handle, _writeState: state } = stream
  if (typeof handle?.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array) || state.length !== 2) {
    stream.destroy()
    return undefined
  }
  // Bad data destroys the stream at once and emits 'error' later: `destroyed` is read after each write instead.
  stream.on('error', () => {})
  return { stream, handle: handle as ZlibHandle, state }
}

export class Inflater {
  private current: Engine | undefined
  private usable: boolean
  private readonly input = Buffer.allocUnsafe(PIECE)
  private readonly output = Buffer.allocUnsafe(PIECE)

  /** `nodeHandle` false: always inflateRawSync, as on a node whose zlib handle this does not know. */
  constructor(nodeHandle = true) {
    this.usable = nodeHandle
  }

  /** Whether entries are inflated a piece at a time through node's zlib handle. */
  get piecewise(): boolean {
    return this.engine() !== undefined
  }

  /**
   * Inflates one entry's deflate data, `raw`, handing `take` the output a piece at a time (each
   * a view of a buffer the next piece reuses). Stops once more than `limit` bytes came out, so
   * a caller that expects `limit` bytes sees the entry is larger. Throws on data zlib refuses.
   */
  inflate(raw: Buffer, limit: number, take: (piece: Buffer) => void): void {
    const engine = this.engine()
    if (!engine) {
      take(inflateRawSync(raw, { chunkSize: Math.max(64, limit + 1), maxOutputLength: limit + 1 }))
      return
    }
    engine.handle.reset()
    this.feed(engine, raw, raw.length, true, { produced: 0, limit }, take)
  }

  /** As inflate(), the deflate data read from the file `fd`, `length` bytes at `start`, a piece at a time. */
  inflateFile(fd: number, start: number, length: number, limit: number, take: (piece: Buffer) => void): void {
    const engine = this.engine()
    if (!engine) {
      this.inflate(readAt(fd, start, length), limit, take)
      return
    }
    engine.handle.reset()
    const output = { produced: 0, limit }
    for (let done = 0; done < length && output.produced <= limit; ) {
      const piece = readAt(fd, start + done, Math.min(PIECE, length - done), false, this.input)
      done += piece.length
      this.feed(engine, piece, piece.length, done === length, output, take)
    }
  }

  /** Inflates `input`'s first `length` bytes until they are used up (or the output passes its limit). */
  private feed(engine: Engine, input: Buffer, length: number, last: boolean, output: { produced: number; limit: number }, take: (piece: Buffer) => void): void {
    const flush = last ? constants.Z_FINISH : constants.Z_NO_FLUSH
    for (let at = 0; output.produced <= output.limit; ) {
      engine.handle.writeSync(flush, input, at, length - at, this.output, 0, PIECE)
      if (engine.stream.destroyed) {
        this.current = undefined
        throw new Error('invalid deflate data')
      }
      const outputLeft = engine.state[0] as number
      if (outputLeft < PIECE) {
        output.produced += PIECE - outputLeft
        take(this.output.subarray(0, PIECE - outputLeft))
      }
      // Room left over: zlib has used all the input it can. None: more output may be waiting.
      if (outputLeft !== 0) return
      at = length - (engine.state[1] as number)
    }
  }

  private engine(): Engine | undefined {
    if (!this.current && this.usable) {
      this.current = engine()
      this.usable = this.current !== undefined
    }
    return this.current
  }
}
