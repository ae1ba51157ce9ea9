// `npm run demo`: the action's main job on this machine. A sample module and its module
// zips are generated, three loopback proxies are started (one never answers, one stalls
// partway through the download, one is healthy), and the bundled action runs as the
// runner runs it: the main step, then (the job's other steps having nothing to do here) its
// post step, which stops the proxy the main step left for later steps. It prints the step's
// log, its job summary and outputs, then the post step's summary.
import './scratch.ts'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runBundled, runPostBundled } from '../test/support/action.ts'
import { offlineGoEnv } from '../test/support/go.ts'
import { healthy, startProxy } from '../test/support/proxy-server.ts'
import { makeUniverse } from '../test/support/universe.ts'

const root = mkdtempSync(path.join(os.tmpdir(), 'go-mod-download-demo-'))
const universe = await makeUniverse(root, { count: 12, sourceBytes: 16_384 })
const hanging = await startProxy(universe.proxyDir, { kind: 'hang' })
const stalling = await startProxy(universe.proxyDir, { kind: 'stall-after', after: 8 })
const good = await startProxy(universe.proxyDir, healthy)
// What the three addresses are: the log and the summary name them by address alone.
console.log(`The candidates, in this order: ${hanging.url} never answers; ${stalling.url} answers 8 requests, then stalls; ${good.url} is healthy.`)
console.log('The action runs as the runner runs it: its log, its job summary and outputs, then its post step.\n')
try {
  const run = await runBundled(
    process.execPath,
    {
      proxies: `${hanging.url}\n${stalling.url}\n${good.url}`,
      'working-directory': 'sample',
      'probe-timeout': '2s',
      'stall-timeout': '3s'
    },
    root,
    offlineGoEnv(path.join(root, 'modcache'))
  )
  console.log(run.log)
  console.log('──────── job summary ────────')
  console.log(run.summary)
  console.log('──────── outputs ────────')
  console.log(run.outputs)
  console.log(`GOPROXY exported to later steps: ${run.exported.GOPROXY}`)
  const post = await runPostBundled(run, root, {})
  console.log('──────── post step: job summary ────────')
  console.log(post.summary)
  process.exitCode = run.exitCode || post.exitCode || 0
} finally {
  await Promise.all([hanging.close(), stalling.close(), good.close()])
}
