// Builds dist/index.js, the file the runner executes, from src/. CI checks that it is current.
import { build } from 'esbuild'

await build({
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.js',
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
