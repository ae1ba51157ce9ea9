// The runner's entry point. Exiting explicitly ends cache transfers that were abandoned at their deadline.
import '../util/young-generation.ts'
import { runAction } from '../action/main.ts'
import { killTreesOnSignals } from '../util/process.ts'

killTreesOnSignals()
await runAction()
process.exit()
