// The cache restore's own process, so that a restore past its deadline can be killed with its
// tar instead of extracting into the module cache later, while go runs.
import { runRestore } from './restore-child.ts'

await runRestore()
process.exit()
