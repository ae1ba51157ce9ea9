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
// The old generation is collected before it doubles (--optimize-for-size: a smaller growing
// factor, the memory reducer sooner). What outlives a scavenge (a request's state, a go.mod's
// text, a hedge's timers) is soon garbage too, and V8's default lets it pile up to tens of MiB
// before the first full collection: on a real project of 273 MiB of zips (prometheus) the main
// heap stood at 45-54 MiB at the step's peak, 18-29 MiB with this flag, and the step's peak fell
// from 188-208 MiB to 172-183 MiB (docs/benchmarks.md). The JavaScript this slows runs a few
// times per request; the hashing is native.
//
// Both flags are read whenever the heap would grow, so setting them now takes effect; they are
// process-wide, and worker threads have their own smaller limits besides.
import v8 from 'node:v8'

v8.setFlagsFromString('--semi-space-growth-factor=1')
v8.setFlagsFromString('--optimize-for-size')
