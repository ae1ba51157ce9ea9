// The runner's entry point. Exiting explicitly ends cache transfers that were abandoned at their deadline.
import '../young-generation.ts'
import { runAction } from '../action/main.ts'
import { killTreesOnSignals } from '../process.ts'

killTreesOnSignals()
await runAction()
process.exit()
