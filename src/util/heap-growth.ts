// Imported first by the entry points that download (the step, the proxy for later steps, the
// CLI): V8 keeps its heap near what is alive instead of growing it for speed.
//
// The young generation stays at its starting size. Each chunk a socket delivers is a Buffer of
// its own, garbage once it is written to disk, but freed only when a scavenge runs; left to
// grow, the young generation reaches 128 MiB on a large machine, tens of MiB of chunks pile up
// between scavenges, and the allocator keeps the space afterwards. Downloading a real project's
// 120 MiB over 16 connections, plain node peaked at 148 MiB resident with growth and 94 MiB
// without, the step at 272 and 237 MiB, neither slower: the more frequent scavenges find little
// alive.
//
// The old generation is collected before it doubles (--optimize-for-size: V8's conservative
// growing mode, the limit raised at most 1.3x after a full collection instead of up to 4x, and
// more compaction). What outlives a scavenge (a request's state, a go.mod's text, a hedge's
// timers) is soon garbage too, and V8's default lets it pile up to tens of MiB before the first
// full collection: on a real project of 273 MiB of zips (prometheus) the main heap stood at
// 45-54 MiB at the step's peak, 18-29 MiB of it alive, and at 28-30 MiB with this flag; the
// step's peak fell from 180-199 MiB to 179-181 MiB (docs/benchmarks.md). The JavaScript this
// slows runs a few times per request; the hashing is native.
//
// Both flags are read whenever the heap would grow, so setting them now takes effect, though not
// what `node --optimize-for-size` implies at start (--max-semi-space-size=1: the first flag does
// that job). They are process-wide: the hashing threads, started later, get them too, within
// their own resourceLimits.
import v8 from 'node:v8'

v8.setFlagsFromString('--semi-space-growth-factor=1')
v8.setFlagsFromString('--optimize-for-size')
