// The runner's post entry point. Exiting explicitly ends a cache upload abandoned at its deadline.
import { runPostAction } from '../action/post.ts'

await runPostAction()
process.exit()
