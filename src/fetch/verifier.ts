// Verifying: each fetched file is checked against go.sum (module/matches.ts) before it is kept,
// a zip by its hash, computed off the main thread (hashers.ts) and, where the store writes the
// module out for go, with its files written on the way. Zips go waits for are hashed before
// the speculative ones: the verifier knows which files go waits for, and tells the store
// (goAskedFor) when go starts waiting for one, since go then holds the module's lock (store.ts).
import { verify } from '../module/matches.ts'
import type { FileJob } from '../module/vouched.ts'
import { Hashers } from './hashers.ts'
import type { ExtractTarget } from './zip-extract.ts'

export class Verifier {
  private readonly hashers: Hashers
  /** Files go waits for (by path): their zips are hashed before the speculative ones. */
  private readonly urgent = new Set<string>()
  /** Aborted once go waits for the file at a path. */
  private readonly goAsked = new Map<string, AbortController>()
  /** The zip on disk that waits to be hashed (or is being hashed) for each file path. */
  private readonly hashing = new Map<string, string>()

  /** `hashThreads`: threads that hash (and write out) zips; one unless given. */
  constructor(hashThreads?: number) {
    this.hashers = new Hashers(hashThreads)
  }

  /** go waits for the file at `jobPath`, fetched for it, until done(). */
  goWaitsFor(jobPath: string): void {
    this.urgent.add(jobPath)
  }

  /** go waits now for the file at `jobPath`, fetched speculatively: if its zip waits to be hashed, it goes first. */
  hurry(jobPath: string): void {
    this.urgent.add(jobPath)
    this.goAsked.get(jobPath)?.abort()
    const zip = this.hashing.get(jobPath)
    if (zip) this.hashers.hurry(zip)
  }

  /** The fetch of the file at `jobPath` is over. */
  done(jobPath: string): void {
    this.urgent.delete(jobPath)
    this.goAsked.delete(jobPath)
  }

  /**
   * Why the file at `temp`, `size` bytes, is not what `job` says (undefined: it is), and, for a
   * zip written out under `tree` on the way, the directories made (zip-hash.ts).
   */
  async check(job: FileJob, temp: string, size: number, tree?: ExtractTarget): Promise<{ problem?: string; dirs?: string[] }> {
    let dirs: string[] | undefined
    const problem = await verify(job, temp, async zip => {
      this.hashing.set(job.path, zip)
      const precedence = { size, urgent: this.urgent.has(job.path) }
      try {
        if (!tree) return await this.hashers.zip(zip, precedence)
        const hashed = await this.hashers.zipInto(zip, tree, precedence)
        dirs = hashed.dirs
        return hashed.hash
      } finally {
        if (this.hashing.get(job.path) === zip) this.hashing.delete(job.path)
      }
    })
    return { ...(problem ? { problem } : {}), ...(dirs ? { dirs } : {}) }
  }

  /** Aborted once go waits for the file at `jobPath` (at once if it does already). */
  goAskedFor(jobPath: string): AbortSignal {
    let asked = this.goAsked.get(jobPath)
    if (!asked) {
      asked = new AbortController()
      this.goAsked.set(jobPath, asked)
      if (this.urgent.has(jobPath)) asked.abort()
    }
    return asked.signal
  }

  /** Ends the hashing threads; whatever waits to be hashed is rejected. */
  abandon(): Promise<void> {
    return this.hashers.abandon()
  }
}
