// The Action's post step: the engine's post-job work with the state the main step left, its
// markdown appended to the job summary.
import * as core from '@actions/core'
import { appendFile } from 'node:fs/promises'
import { usePort } from '../engine/port.ts'
import { runPost } from './post-job.ts'
import { actionPort } from './port.ts'

export async function runPostAction(): Promise<void> {
  usePort(actionPort)
  const markdown = await runPost(name => core.getState(name))
  const file = process.env.GITHUB_STEP_SUMMARY
  if (file && markdown) await appendFile(file, markdown)
}
