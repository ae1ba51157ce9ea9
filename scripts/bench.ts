// `npm run bench`: plain `go mod download` and the action, side by side in one run, with a
// faulty first proxy and a healthy second, over a generated universe on loopback.
// Plain go gets a hard limit, since without the action it may never finish.
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runBundled } from '../test/support/action.ts'
import { goBinary, offlineGoEnv, tempModcache } from '../test/support/go.ts'
import { type Fault, healthy, startProxy } from '../test/support/proxy-server.ts'
import { makeUniverse } from '../test/support/universe.ts'

const PLAIN_GO_LIMIT_MS = 20_000
const STALL_TIMEOUT = '5s'

const root = mkdtempSync(path.join(os.tmpdir(), 'bench-'))
const universe = await makeUniverse(root, { count: 40, sourceBytes: 16_384 })
const freshCache = () => offlineGoEnv(tempModcache())

function plainGo(goproxy: string): Promise<string> {
  const started = performance.now()
  return new Promise(resolve => {
    execFile(
      goBinary(),
      ['mod', 'download'],
      { cwd: universe.sampleDir, timeout: PLAIN_GO_LIMIT_MS, killSignal: 'SIGKILL', env: { ...process.env, ...freshCache(), GOPROXY: goproxy } },
      error => {
        const seconds = ((performance.now() - started) / 1000).toFixed(2)
        if (!error) resolve(`ok, ${seconds}s`)
        else if (error.killed) resolve(`hung: killed at the ${PLAIN_GO_LIMIT_MS / 1000}s limit`)
        else resolve(/SECURITY ERROR/.test(error.message) ? `SECURITY ERROR, ${seconds}s` : `failed, ${seconds}s`)
      }
    )
  })
}

async function action(proxies: string[]): Promise<{ text: string; seconds: number }> {
  const started = performance.now()
  const run = await runBundled(
    process.execPath,
    { proxies: proxies.join('\n'), 'working-directory': 'sample', 'stall-timeout': STALL_TIMEOUT },
    root,
    freshCache()
  )
  const seconds = (performance.now() - started) / 1000
  const text = `${run.exitCode === 0 ? 'ok' : 'failed'}, ${seconds.toFixed(2)}s, ${run.outputs.attempts} attempt(s)`
  return { text, seconds }
}

const scenarios: [string, Fault][] = [
  ['never answers', { kind: 'hang' }],
  ['stalls after 10 requests', { kind: 'stall-after', after: 10 }],
  ['200 with an HTML page', { kind: 'html' }],
  ['resets connections', { kind: 'reset' }]
]

const good = await startProxy(universe.proxyDir, healthy)
const baseline = await action([good.url])
console.log(`${universe.modules.length} modules; action with the healthy proxy alone: ${baseline.text}`)
console.log(`action settings: defaults, but stall-timeout ${STALL_TIMEOUT}\n`)
console.log('| first candidate | plain go, GOPROXY=bad,good | plain go, GOPROXY=bad\\|good | the action | action ÷ healthy-only |')
console.log('|---|---|---|---|---|')
/** Each contender meets its own faulty proxy: one that stalls after N requests must not be used up by another. */
async function against<T>(fault: Fault, contender: (bad: string) => Promise<T>): Promise<T> {
  const bad = await startProxy(universe.proxyDir, fault)
  try {
    return await contender(bad.url)
  } finally {
    await bad.close()
  }
}

for (const [name, fault] of scenarios) {
  const comma = await against(fault, bad => plainGo(`${bad},${good.url}`))
  const pipe = await against(fault, bad => plainGo(`${bad}|${good.url}`))
  const ours = await against(fault, bad => action([bad, good.url]))
  console.log(`| ${name} | ${comma} | ${pipe} | ${ours.text} | ${(ours.seconds / baseline.seconds).toFixed(1)}× |`)
}
await good.close()
