// Builds dist/ from src/: index.js, the file the runner executes; post.js, its post step;
// restore.js and save.js, the cache restore's and save's own processes; hash-worker.js, the
// threads that hash zips and module trees; job-proxy.js, the proxy later steps reach. CI checks
// that they are current.
import { build } from 'esbuild'

await build({
  entryPoints: { index: 'src/index.ts', post: 'src/post.ts', restore: 'src/cache/restore-process.ts', save: 'src/cache/save-process.ts', 'hash-worker': 'src/fetch/hash-worker.ts', 'job-proxy': 'src/later/job-proxy.ts' },
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
