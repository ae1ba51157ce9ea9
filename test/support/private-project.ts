// A project as companies have them: public modules in a GOPROXY directory (served by the
// proxies the tests start), private ones in git repositories (served by git-server.ts), and a
// main module that requires them all, whose go.sum go itself writes.
import { mkdirSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type GitModule, GIT_HOST, gitRedirect, makeGitModule, startGitDaemon } from './git-server.ts'
import { makeUniverse, type Universe, writeSample } from './universe.ts'

export interface PrivateProject extends Universe {
  /** Where the private modules' bare repositories are. */
  repos: string
  /** The modules in git, by name. */
  git: Record<string, GitModule>
}

export interface PrivateProjectOptions {
  /** Public modules, served by proxies. */
  publicCount: number
  /** Repositories under git.corp.test, each a module (with this many bytes of source). */
  gitModules: Record<string, { sourceBytes?: number }>
  /** GOPRIVATE when go writes go.sum (default git.corp.test: go fetches the git modules direct). */
  goprivate?: string
}

/** The project in a folder of its own, at `<root>/work/sample` (so that runScenario finds it as a universe's sample). */
export async function makePrivateProject(options: PrivateProjectOptions): Promise<PrivateProject> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'private-project-'))
  const universe = await makeUniverse(root, { count: options.publicCount })
  const repos = path.join(root, 'repos')
  mkdirSync(repos)
  const git = Object.fromEntries(Object.entries(options.gitModules).map(([name, o]) => [name, makeGitModule(repos, name, 'v1.0.0', o.sourceBytes)]))
  const sampleDir = path.join(root, 'work', 'sample')
  const daemon = await startGitDaemon(repos)
  try {
    await writeSample(sampleDir, 'example.com/project', [...universe.modules, ...Object.values(git)], universe.proxyDir, {
      ...gitRedirect(daemon.url),
      GOPRIVATE: options.goprivate ?? GIT_HOST,
      // A module GOPRIVATE leaves to the proxies is not in the directory: go moves on to git.
      GOPROXY: `file://${universe.proxyDir},direct`
    })
  } finally {
    await daemon.close()
  }
  return { ...universe, sampleDir, repos, git }
}
