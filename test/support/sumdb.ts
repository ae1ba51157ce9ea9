// A real checksum database on loopback (test/cache-server/sumdb: golang.org/x/mod/sumdb's
// server), signing the go.sum lines of the modules in a proxy directory. go reaches it as
// GOSUMDB="<verifier key> <URL>".
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { tools } from './tools.ts'

export interface SumdbServer {
  /** The GOSUMDB value: verifier key and URL. */
  gosumdb: string
  close: () => void
}

export async function startSumdb(proxyDir: string): Promise<SumdbServer> {
  const child = spawn(tools.sumdb, [proxyDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  let first: string | undefined
  for await (const line of createInterface({ input: child.stdout })) {
    first = line
    break
  }
  if (!first) throw new Error('the checksum database did not start')
  return { gosumdb: first, close: () => child.kill('SIGKILL') }
}
