// `npm run demo:private`: a company's project on this machine. Five public modules come from a
// loopback proxy, one private module (GOPRIVATE) from a `git daemon` that git reaches through
// `insteadOf`; the candidates are a refused address, the proxy, and `direct`. The bundled action
// runs as the runner runs it, and its job summary is printed with loopback addresses shown as
// example hosts: what docs/action.md's "Private modules" section shows.
import './scratch.ts'
import path from 'node:path'
import { runBundled } from '../test/support/action.ts'
import { offlineGoEnv } from '../test/support/go.ts'
import { GIT_HOST, gitRedirect, startGitDaemon } from '../test/support/git-server.ts'
import { makePrivateProject } from '../test/support/private-project.ts'
import { closedPort, healthy, startProxy } from '../test/support/proxy-server.ts'

const project = await makePrivateProject({ publicCount: 5, gitModules: { 'acme/billing': {} } })
const daemon = await startGitDaemon(project.repos)
const good = await startProxy(project.proxyDir, healthy)
const refused = `http://127.0.0.1:${await closedPort()}`
try {
  const run = await runBundled(
    process.execPath,
    { proxies: `${refused}\n${good.url}\ndirect`, 'working-directory': 'sample', 'protect-later-steps': 'false' },
    path.dirname(project.sampleDir),
    { ...offlineGoEnv(path.join(path.dirname(project.sampleDir), 'modcache')), GOPRIVATE: GIT_HOST, ...gitRedirect(daemon.url) }
  )
  const shown = (text: string) => text.replaceAll(refused, 'https://mirror.example.com').replaceAll(good.url, 'https://goproxy.example.com')
  console.log(run.log)
  console.log('──────── job summary ────────')
  console.log(shown(run.summary))
  console.log('──────── outputs ────────')
  console.log(JSON.parse(shown(JSON.stringify(run.outputs))))
  process.exitCode = run.exitCode ?? 1
} finally {
  await Promise.all([daemon.close(), good.close()])
}
