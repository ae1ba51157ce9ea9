// Once per `npm test`: build the test tools a fresh machine does not have yet.
import { ensureTools } from './tools.ts'

export default async function setup(): Promise<void> {
  await ensureTools()
}
