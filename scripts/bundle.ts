// Builds dist/ from src/: index.js, the file the runner executes; post.js, its post step;
// restore.js and save.js, the cache restore's and save's own processes; hash-worker.js, the
// threads that hash zips and module trees; job-proxy.js, the proxy later steps reach. CI checks
// that they are current.
import path from 'node:path'
import { build, type Plugin } from 'esbuild'

/** `undici`, as @actions/http-client imports it, is a class that loads it on first use (lazy-undici.ts). */
const lazyUndici: Plugin = {
  name: 'lazy-undici',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, args => (args.importer.includes(`${path.sep}@actions${path.sep}http-client${path.sep}`) ? { path: path.join(import.meta.dirname, 'lazy-undici.ts') } : undefined))
  }
}

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
  logLevel: 'warning',
  plugins: [lazyUndici]
})
