// The engine's port on a GitHub Actions runner: lines into the step's log, groups and annotations
// as workflow commands, secrets masked by the runner. Text from outside is defused first: the
// runner must never read a line of it as a command.
import * as core from '@actions/core'
import type { Port } from '../engine/port.ts'
import { inert } from '../util/untrusted.ts'

export const actionPort: Port = {
  info: line => core.info(line),
  echo: text => core.info(inert(text)),
  warning: line => core.warning(line),
  group: (name, work) => core.group(name, work),
  secret: value => core.setSecret(value),
  // The Actions log is read afterwards: the summary says what the fetch did.
  progress: () => undefined
}
