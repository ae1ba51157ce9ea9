// The runner's entry point. Exiting explicitly ends cache transfers that were abandoned at their deadline.
import './young-generation.ts'
import { run } from './main.ts'

await run()
process.exit()
