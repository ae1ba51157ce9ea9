// go's own answers on module paths, versions and URLs (test/cache-server/modpath): one process
// for a whole test file, asked in batches over stdin and stdout.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { ensureTools, tools } from './tools.ts'

export type Op = 'checkPath' | 'escapePath' | 'unescapePath' | 'escapeVersion' | 'unescapeVersion' | 'canonicalVersion' | 'tilePath' | 'userinfo' | 'userinfoString' | 'matchPrefixPatterns' | 'checkZip' | 'unzip' | 'unzipTree' | 'hashZip' | 'zipNames'

export interface GoAnswer {
  ok: boolean
  out?: string
}

export interface GoOracle {
  /** go's answer to each question, in order. */
  ask: (op: Op, args: string[]) => Promise<GoAnswer[]>
  close: () => void
}

export async function startGoOracle(): Promise<GoOracle> {
  await ensureTools()
  const child: ChildProcessWithoutNullStreams = spawn(tools.modpath, [], { stdio: ['pipe', 'pipe', 'pipe'] })
  const waiting: ((answer: GoAnswer) => void)[] = []
  createInterface({ input: child.stdout }).on('line', line => waiting.shift()?.(JSON.parse(line) as GoAnswer))
  return {
    ask: (op, args) => {
      const answers = args.map(() => new Promise<GoAnswer>(resolve => waiting.push(resolve)))
      child.stdin.write(args.map(arg => `${JSON.stringify({ op, arg })}\n`).join(''))
      return Promise.all(answers)
    },
    close: () => void child.kill()
  }
}
