// Builds dist/ from src/entries/: index.js, the file the runner executes; post.js, its post step;
// restore.js and save.js, the cache restore's and save's own processes; job-proxy.js, the proxy
// later steps reach; cli.js, the command (package.json's bin); and hash-worker.js (src/fetch/),
// the threads that hash zips and module trees. CI checks that they are current.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { build, type BuildOptions, type Plugin } from 'esbuild'

/** `undici`, as @actions/http-client imports it, is a class that loads it on first use (lazy-undici.ts). */
const lazyUndici: Plugin = {
  name: 'lazy-undici',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, args => (args.importer.includes(`${path.sep}@actions${path.sep}http-client${path.sep}`) ? { path: path.join(import.meta.dirname, 'lazy-undici.ts') } : undefined))
  }
}

/** Bundled CommonJS dependencies call require() for Node's built-ins. */
const requireShim = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"

const common: BuildOptions = {
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  // Runners use node24; a local emulator and the CLI's users may bring Node 20.
  target: 'node20',
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [lazyUndici]
}

await build({
  ...common,
  entryPoints: { index: 'src/entries/index.ts', post: 'src/entries/post.ts', restore: 'src/entries/cache-restore.ts', save: 'src/entries/cache-save.ts', 'job-proxy': 'src/entries/job-proxy.ts', 'hash-worker': 'src/fetch/hash-worker.ts' },
  banner: { js: requireShim }
})
// The command runs from a shell: its first line says with what. Its legal comments go beside the others.
const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
await build({ ...common, entryPoints: { cli: 'src/entries/cli.ts' }, banner: { js: `#!/usr/bin/env node\n${requireShim}` }, define: { PACKAGE_VERSION: JSON.stringify(version) } })

// V8 holds a script's source in one byte a character only if every character is Latin-1: one
// other (a "…" in a comment esbuild kept, a "μ" in a regular expression) doubled dist/index.js
// in memory. The bundles our own code makes up are checked; restore.js and save.js are
// @actions/cache's, whose comments have their own.
for (const name of ['index', 'post', 'job-proxy', 'hash-worker', 'cli']) {
  const lines = readFileSync(`dist/${name}.js`, 'utf8').split('\n')
  const at = lines.findIndex(line => [...line].some(c => (c.codePointAt(0) as number) > 0xff))
  if (at >= 0) throw new Error(`dist/${name}.js:${at + 1} has a character beyond Latin-1; escape it in the source: ${(lines[at] as string).trim()}`)
}
