// The runner's entry point. Exiting explicitly ends cache transfers that were abandoned at their deadline.
import '../util/heap-growth.ts'
import { runAction } from '../action/main.ts'
import { cancelExitCode, killTreesOnSignals } from '../util/process.ts'

killTreesOnSignals()
await runAction()
// A cancel's code, when one came while the run was ending; else the step's own (core.setFailed's).
// Never process.exit(undefined): node then exits 0 whatever process.exitCode says.
process.exit(cancelExitCode() ?? process.exitCode ?? 0)
