// The runner's post entry point. Exiting explicitly ends a cache upload abandoned at its deadline.
import { runPost } from './post-job.ts'

await runPost()
process.exit()
