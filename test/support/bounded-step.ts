// The bundled step (support/action.ts's runBundled) with a bound: killed, and said to have hung,
// if it has not ended within the time given. For tests whose failure on broken code is a hang.
import type { ChildProcess } from 'node:child_process'
import { type ActionRun, runBundled } from './action.ts'

export type BoundedRun = ActionRun & { exitCode: number | null; hung: boolean; ms: number }

/** `watch` sees the log as it grows, as runBundled's does. */
export async function runBundledWithin(
  limitMs: number,
  inputs: Record<string, string>,
  workspace: string,
  env: Record<string, string>,
  watch?: (log: string) => void
): Promise<BoundedRun> {
  let step: ChildProcess | undefined
  let hung = false
  const started = Date.now()
  const timer = setTimeout(() => {
    hung = true
    step?.kill('SIGKILL')
  }, limitMs)
  try {
    const run = await runBundled(process.execPath, inputs, workspace, env, (log, child) => {
      step = child
      watch?.(log)
    })
    return { ...run, hung, ms: Date.now() - started }
  } finally {
    clearTimeout(timer)
  }
}
