// The action's HTTP client for tests that call a stage directly: go's view of a given
// environment (none of the machine's proxies or credentials unless the test puts them there).
import { HttpClient, loadNetworkView } from '../../src/net/client.ts'
import type { Env } from '../../src/net/proxy-env.ts'

export async function networkClient(env: Env = {}, goauth = 'off', maxSockets?: number): Promise<HttpClient> {
  return new HttpClient(await loadNetworkView(env, goauth), maxSockets === undefined ? {} : { maxSockets })
}
