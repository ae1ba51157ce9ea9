// The dependency graph the download-set tests use: modules at several versions, pruned (go ≥
// 1.17) and unpruned, a fork for a replace, requirements imported and not. Shared by the test
// against go's own download (download-set.test.ts) and the pure one (download-plan.test.ts).
import type { GraphModule } from './graph-universe.ts'

export const E = 'example.com/g'
// a → b, c; b → d; c (go 1.16, unpruned) → e → f (pruned again); older versions around.
export const MODULES: GraphModule[] = [
  { path: `${E}/a`, version: 'v1.0.0', go: '1.21', requires: [`${E}/b@v1.0.0`, `${E}/c@v1.1.0`] },
  { path: `${E}/b`, version: 'v1.0.0', go: '1.21', requires: [`${E}/d@v1.0.0`] },
  { path: `${E}/b`, version: 'v1.1.0', go: '1.21', requires: [`${E}/d@v1.1.0`] },
  { path: `${E}/c`, version: 'v1.0.0', go: '1.16', requires: [`${E}/e@v1.0.0`] },
  // c v1.1.0 also requires r without importing it: go still reads r's .mod (c is unpruned), not its zip.
  { path: `${E}/c`, version: 'v1.1.0', go: '1.16', requires: [`${E}/e@v1.0.0`, `${E}/r@v1.0.0`], imports: [`${E}/e@v1.0.0`] },
  { path: `${E}/r`, version: 'v1.0.0', go: '1.21' },
  { path: `${E}/d`, version: 'v1.0.0', go: '1.21' },
  { path: `${E}/d`, version: 'v1.1.0', go: '1.21' },
  { path: `${E}/e`, version: 'v1.0.0', go: '1.16', requires: [`${E}/f@v1.0.0`] },
  { path: `${E}/f`, version: 'v1.0.0', go: '1.21', requires: [`${E}/h@v1.0.0`] },
  { path: `${E}/h`, version: 'v1.0.0', go: '1.21' },
  // A fork of b, used by a replace.
  { path: `${E}/bfork`, version: 'v1.5.0', go: '1.21', requires: [`${E}/d@v1.1.0`], declares: `${E}/b` },
  { path: `${E}/x`, version: 'v1.0.0', go: '1.21', requires: [`${E}/d@v1.0.0`] },
  { path: `${E}/e`, version: 'v1.1.0', go: '1.16', requires: [`${E}/f@v1.0.0`] },
  // p requires q but never imports it (a test-only dependency, say): q is in the graph, not in the build.
  { path: `${E}/p`, version: 'v1.0.0', go: '1.21', requires: [`${E}/q@v1.0.0`], imports: [] },
  { path: `${E}/q`, version: 'v1.0.0', go: '1.21' },
  // An old world, all before go 1.17 (a main module's go line can be no older than its dependencies').
  { path: `${E}/u1`, version: 'v1.0.0', go: '1.16', requires: [`${E}/u2@v1.0.0`, `${E}/u3@v1.0.0`], imports: [`${E}/u3@v1.0.0`] },
  { path: `${E}/u2`, version: 'v1.0.0', go: '1.16' },
  { path: `${E}/u3`, version: 'v1.0.0', go: '1.16', requires: [`${E}/u4@v1.0.0`], imports: [] },
  { path: `${E}/u4`, version: 'v1.0.0', go: '1.16' }
]
