// Opt-in (never part of npm test): probes the runner's own `go env GOPROXY` from a process
// without NODE_EXTRA_CA_CERTS, as a new user's step would, and shows beside it what node's
// default trust makes of the same request. Each candidate is asked for the .mod of a real
// go.sum line (test/cache-server/go.sum), so a healthy verdict means real, verified bytes.
//   npm run probe:real
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import { formatDuration } from '../src/util/duration.ts'
import { processEnv } from '../src/go/goenv.ts'
import { parseCandidates, requestUrl } from '../src/go/goproxy.ts'
import { parseGoSum, probeTarget } from '../src/module/gosum.ts'
import { HttpClient, loadNetworkView } from '../src/net/client.ts'
import { modRequest, probeAll } from '../src/probe/probe.ts'
import { goBinary } from '../test/support/go.ts'

if (process.env.NODE_EXTRA_CA_CERTS) {
  // Node reads NODE_EXTRA_CA_CERTS only at start: run again without it.
  const env = { ...process.env }
  delete env.NODE_EXTRA_CA_CERTS
  const child = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env })
  process.exit(child.status ?? 1)
}

const goEnv = JSON.parse(execFileSync(goBinary(), ['env', '-json', 'GOPROXY', 'GOAUTH'], { encoding: 'utf8' })) as { GOPROXY: string; GOAUTH: string }
const candidates = parseCandidates(goEnv.GOPROXY)
const sums = parseGoSum(readFileSync(path.join(import.meta.dirname, '../test/cache-server/go.sum'), 'utf8'))
const target = probeTarget(sums, () => false)
if (!target) throw new Error('no go.sum line to probe with')
const request = modRequest(target)

console.log(`NODE_EXTRA_CA_CERTS: ${process.env.NODE_EXTRA_CA_CERTS ?? '(unset)'}; GOPROXY from go env: ${candidates.length} entries`)
const client = new HttpClient(await loadNetworkView(processEnv(), goEnv.GOAUTH))
console.log(`trust: ${client.view.trust.certificates.length} certificates from ${client.view.trust.sources.join(', ')}`)
const started = performance.now()
const results = await probeAll(client, candidates, request, 15_000)
console.log(`\nthe action's probe (${formatDuration(performance.now() - started)}):`)
for (const r of results) console.log(`  ${r.candidate.display}: ${r.verdict}${r.latencyMs ? ` in ${formatDuration(r.latencyMs)}` : ''} (${r.reason})`)
client.close()

console.log("\nnode's default trust, the same request:")
for (const candidate of candidates.filter(c => !c.keyword)) {
  const url = requestUrl(candidate, request.path)
  const outcome = await new Promise<string>(resolve => {
    https
      .get(url, { timeout: 15_000 }, response => {
        response.resume()
        resolve(`HTTP ${response.statusCode}`)
      })
      .on('error', e => resolve(e.message))
  })
  console.log(`  ${candidate.display}: ${outcome}`)
}
