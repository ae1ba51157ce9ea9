// Imported first by the entry points that download (the step, the proxy for later steps): V8's
// young generation stays at its starting size. Each chunk a socket delivers is a Buffer of its
// own, garbage once it is written to disk, but freed only when a scavenge runs; left to grow,
// the young generation reaches 128 MiB on a large machine, tens of MiB of chunks pile up between
// scavenges, and the allocator keeps the space afterwards. Downloading a real project's 120 MiB
// over 16 connections, plain node peaked at 148 MiB resident with growth and 94 MiB without, the
// step at 272 and 237 MiB, neither slower: the more frequent scavenges find little alive. The
// flag is read whenever the young generation would grow, so setting it now takes effect; it is
// process-wide, and worker threads have their own smaller limits besides.
import v8 from 'node:v8'

v8.setFlagsFromString('--semi-space-growth-factor=1')
