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
// write state says how much of the input and output is left. A node release could change what
// that handle means while keeping its shape; every zip would then hash wrong, every candidate
// would look like it serves tampered bytes and the restored cache would be thrown away. So, at
// its first use in each thread, the engine inflates a known sample and must give exactly what
// inflateRawSync gives; where it does not (or throws, or the handle is not there), each entry is
// inflated whole by inflateRawSync instead for the rest of the process: the same bytes, slower,
// and a large file whole in memory. That is said once, as a warning, and never as a candidate's
// or the cache's fault. The tests fail on a node where that happens.
import { randomBytes } from 'node:crypto'
import { constants, createInflateRaw, deflateRawSync, type InflateRaw, inflateRawSync } from 'node:zlib'
import { port } from '../engine/port.ts'
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

/**
 * For the fallback's tests only, read at the self-check of each thread: `corrupt` makes the
 * handle alter its output, `throw` makes it throw, as a node whose handle changed might.
 */
export const BROKEN_ENGINE_ENV = 'GO_MOD_DOWNLOAD_TEST_BROKEN_INFLATER'

function engine(): Engine | undefined {
  const stream = createInflateRaw() as InflateRaw & { _handle?: Partial<ZlibHandle>; _writeState?: unknown }
  const { _handle: handle, _writeState: state } = stream
  if (typeof handle?.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array) || state.length !== 2) {
    stream.destroy()
    return undefined
  }
  // Bad data destroys the stream at once and emits 'error' later: `destroyed` is read after each write instead.
  stream.on('error', () => {})
  return { stream, handle: broken(handle as ZlibHandle), state }
}

/** The handle itself, unless a test asked for it broken (BROKEN_ENGINE_ENV). */
function broken(handle: ZlibHandle): ZlibHandle {
  const how = process.env[BROKEN_ENGINE_ENV]
  if (how !== 'corrupt' && how !== 'throw') return handle
  return {
    reset: () => handle.reset(),
    writeSync: (flush, input, inOffset, inLength, output, outOffset, outLength) => {
      if (how === 'throw') throw new Error('the handle refused the write')
      handle.writeSync(flush, input, inOffset, inLength, output, outOffset, outLength)
      output[outOffset] = (output[outOffset] as number) ^ 1
    }
  }
}

/**
 * The self-check's sample: deflate streams of stored blocks (incompressible bytes, level 0) and
 * of compressed ones, each inflating to more than one piece, the stored one read in more than
 * one piece too: the shapes a zip's entries take.
 */
function samples(): Buffer[] {
  const noise = randomBytes(PIECE + 4096)
  const text = Buffer.from('func f(x int) int { return x * 2 } // a line of source\n'.repeat(Math.ceil(PIECE / 100)))
  // Level 1: the sample is made in each thread, before its first zip; its blocks are what matters, not their size.
  return [deflateRawSync(noise, { level: 0 }), deflateRawSync(Buffer.concat([text, noise.subarray(0, 8192), text, text]), { level: 1 })]
}

/** Whether this thread's engine passed its self-check; undefined until its first use. */
let trusted: boolean | undefined

/** Where a failed self-check is told: on the main thread, the warning; in a hashing thread, its answer to the main thread (hash-worker.ts). */
let tell: (why: string) => void = warnFallback

/** A hashing thread tells the main thread, which alone may warn, why its engine was set aside. */
export function tellFallbackTo(listener: (why: string) => void): void {
  tell = listener
}

let warned = false

/** Warns, once in the process, that zips are inflated by inflateRawSync: no candidate and no cache is at fault. */
export function warnFallback(why: string): void {
  if (warned) return
  warned = true
  port.warning(`Zips are inflated by zlib.inflateRawSync from now on (slower, the same bytes): node's zlib handle failed the self-check (${why}). No proxy and no cache is at fault.`)
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
      trusted ??= this.selfCheck()
      this.current = trusted ? engine() : undefined
      this.usable = this.current !== undefined
    }
    return this.current
  }

  /** Whether an engine inflates the sample exactly as inflateRawSync does; if not, says why, once. */
  private selfCheck(): boolean {
    const checked = engine()
    let why: string | undefined
    try {
      why = checked ? this.unlikeZlib(checked) : 'the handle is not what this expects'
    } catch (e) {
      why = `it threw on a sample: ${(e as Error).message}`
    } finally {
      checked?.stream.destroy()
      this.current = undefined
    }
    if (why) tell(why)
    return why === undefined
  }

  /** Why `engine` inflates the sample otherwise than inflateRawSync, whole (as inflate()) or a piece at a time (as inflateFile()); undefined if it does not. */
  private unlikeZlib(engine: Engine): string | undefined {
    for (const raw of samples()) {
      const expected = inflateRawSync(raw)
      for (const pieceSize of [raw.length, PIECE]) {
        const out: Buffer[] = []
        const output = { produced: 0, limit: expected.length }
        engine.handle.reset()
        for (let done = 0; done < raw.length; ) {
          const piece = raw.subarray(done, done + pieceSize)
          done += piece.length
          this.feed(engine, piece, piece.length, done === raw.length, output, got => out.push(Buffer.from(got)))
        }
        if (!Buffer.concat(out).equals(expected)) return 'it inflated a sample unlike inflateRawSync'
      }
    }
    return undefined
  }
}
