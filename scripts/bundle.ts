// Builds dist/index.js, the file the runner executes, dist/restore.js, the cache restore's own
// process, and dist/zip-hash-worker.js, the zip verification's threads, from src/. CI checks
// that they are current.
import { build } from 'esbuild'

await build({
  entryPoints: { index: 'src/index.ts', restore: 'src/restore.ts', 'zip-hash-worker': 'src/fetch/zip-hash-worker.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  // Runners use node24; a local emulator may bring the host's Node 20.
  target: 'node20',
  // Bundled CommonJS dependencies call require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  legalComments: 'linked',
  logLevel: 'warning'
})
