// What every front door's work starts from, before any request: the settings, go and its
// environment, the candidates, the network as go sees it, the dependency files; every credential
// among them registered with the port as it is found.
import { secretsIn } from '../util/credentials.ts'
import { type DependencyFiles, type GlobFiles, readDependencyFiles } from './depfiles.ts'
import { gitSecrets } from '../go/git.ts'
import { findGo, type GoEnv, processEnv, readGoEnv } from '../go/goenv.ts'
import type { Candidate } from '../go/goproxy.ts'
import { candidatesFrom, InputError, parseSettings, type ReadInput, type Settings } from './inputs.ts'
import { loadNetworkView, type NetworkView, networkSecrets } from '../net/client.ts'
import { traced } from '../util/trace.ts'
import { port } from './port.ts'

export interface SetupOptions {
  /** The settings, by input name ('' for unset: the default). */
  read: ReadInput
  /** Where relative paths start (the Action's GITHUB_WORKSPACE, the CLI's working directory). */
  workspace: string
  /** cache-dependency-path's globs, where the front door takes them. */
  globFiles?: GlobFiles
}

export interface Setup {
  settings: Settings
  go: string
  env: GoEnv
  candidates: Candidate[]
  network: NetworkView
  /** go.sum and the other files whose content keys the caches. */
  deps: DependencyFiles
}

/** `secrets` gets each credential as it is found, so that a failure later still masks it. */
export async function setUp(options: SetupOptions, secrets: string[]): Promise<Setup> {
  const register = (found: string[]) => {
    for (const secret of found) {
      if (secrets.includes(secret)) continue
      port.secret(secret)
      secrets.push(secret)
    }
  }
  // A refused proxies entry is quoted redacted in its error; its credentials are registered before the error is shown all the same.
  const registering = <T>(read: () => T): T => {
    try {
      return read()
    } catch (e) {
      if (e instanceof InputError) register(e.secrets)
      throw e
    }
  }
  const settings = registering(() => parseSettings(options.read, options.workspace))
  const { go, env } = await traced('go env', async () => {
    const go = await findGo()
    return { go, env: await readGoEnv(go, settings.workingDirectory) }
  })
  const candidates = settings.candidates ?? registering(() => candidatesFrom('proxies (from go env GOPROXY)', env.GOPROXY))
  const network = await loadNetworkView(processEnv(), env.GOAUTH)
  // go's git reads its own configuration from where go runs it, in the module cache.
  const git = await gitSecrets(env.GOMODCACHE, processEnv())
  register([...candidates.flatMap(c => secretsIn(c.spec)), ...networkSecrets(network), ...git])
  for (const method of network.auth.unsupported) port.info(`GOAUTH method "${method.split(/\s/)[0]}" is go's alone; the action's own requests go without it.`)
  const deps = await readDependencyFiles(options.workspace, settings.workingDirectory, settings.cacheDependencyPath, options.globFiles)
  return { settings, go, env, candidates, network, deps }
}
