// The Action's main step: the engine's run with the step's inputs, its log through @actions/core,
// then what only a runner has: outputs, the job summary, variables and PATH for later steps, the
// post step's state, and the step's failure.
import * as core from '@actions/core'
import { run } from '../engine/run.ts'
import { usePort } from '../engine/port.ts'
import { globFiles } from './glob.ts'
import { writeReport } from './outputs.ts'
import { actionPort } from './port.ts'
import { traced } from '../util/trace.ts'

export async function runAction(): Promise<void> {
  usePort(actionPort)
  const { facts, handOn, secrets } = await run({ read: name => core.getInput(name), workspace: process.env.GITHUB_WORKSPACE || process.cwd(), globFiles })
  for (const dir of handOn.paths) core.addPath(dir)
  for (const [name, value] of Object.entries(handOn.variables)) core.exportVariable(name, value)
  for (const [name, value] of Object.entries(handOn.postState)) core.saveState(name, value)
  if (!facts.ok) core.setFailed(facts.failure ?? 'go mod download failed')
  await traced('summary', () => writeReport(facts, secrets))
}
