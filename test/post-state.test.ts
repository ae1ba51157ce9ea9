// The post step trusts no state blindly: a state that names another process, or a folder the step
// did not make, signals nothing and deletes nothing. The state is injected as a workflow command
// would have set it (read by the runner emulation), and the bundled post step runs as the runner
// runs it, after a real step that launched the real job proxy.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fromProc, fromPs, processIdentity } from '../src/later/identity.ts'
import { LAUNCH_RECORD } from '../src/later/config.ts'
import { isLaunched, verifyState } from '../src/later/stop.ts'
import { type ActionRun, parseCommandFile, processesWithEnv, runPostBundled } from './support/action.ts'
import { tempModcache } from './support/go.ts'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { readAsRunner } from './support/runner-commands.ts'
import { runScenario } from './support/scenario.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
const proxies = proxyPool(() => universe.proxyDir)
const victims: ChildProcess[] = []

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 2 })
})

afterEach(async () => {
  for (const victim of victims.splice(0)) if (victim.pid && alive(victim.pid)) process.kill(-victim.pid, 'SIGKILL')
  await proxies.closeAll()
})

afterAll(async () => {
  await proxies.closeAll()
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A process of the job's user in a group of its own, as the job proxy is: what an injected PID would name. */
function victim(command = 'sleep', args = ['300']): number {
  const child = spawn(command, args, { detached: true, stdio: ['pipe', 'ignore', 'ignore'] })
  victims.push(child)
  return child.pid as number
}

/** A folder with a file in it, that nothing should delete. */
function precious(parent = os.tmpdir(), name = `precious-${process.pid}-${victims.length}`): string {
  const dir = path.join(parent, name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'keep.txt'), 'keep')
  return dir
}

/** The main step's run with its state replaced by what the runner would have made of `lines` in its log. */
function injected(main: ActionRun, lines: string[]): ActionRun {
  const state = readAsRunner(lines.join('\n')).state
  expect(Object.keys(state)).toContain('later-steps')
  return { ...main, state: Object.entries(state).map(([name, value]) => `${name}<<EOF_STATE\n${value}\nEOF_STATE\n`).join('') }
}

const saveState = (pid: number, statsFile: string) => `::save-state name=later-steps::${JSON.stringify({ pid, statsFile })}`

async function realStep() {
  const modcache = tempModcache()
  const good = await proxies.start(healthy)
  const main = await runScenario(universe, { proxies: good.url, 'protect-later-steps': 'true' }, { modcache })
  expect(main.failed, main.log).toBe(false)
  const state = JSON.parse(parseCommandFile(main.state)['later-steps'] as string) as { pid: number; statsFile: string }
  return { main, modcache, state }
}

describe('an injected later-steps state', () => {
  it('naming another process and folder: the post step signals nothing, deletes nothing, and says why', async () => {
    const { main, modcache, state } = await realStep()
    const pid = victim()
    const dir = precious()
    const post = await runPostBundled(injected(main, [saveState(pid, path.join(dir, 'stats.json'))]), path.dirname(universe.sampleDir), {})
    expect(post.exitCode, post.log).toBe(0)
    expect(alive(pid)).toBe(true)
    expect(readFileSync(path.join(dir, 'keep.txt'), 'utf8')).toBe('keep')
    expect(post.log).toMatch(/::warning::The post step's state for the action's proxy was refused, and nothing was signalled or deleted: .* is not in a folder the step makes/)
    // The real proxy is still there: stop it as the real state says.
    await runPostBundled(main, path.dirname(universe.sampleDir), {})
    expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
    expect(existsSync(path.dirname(state.statsFile))).toBe(false)
  })

  it.each([
    ['a folder named like the step’s in RUNNER_TEMP, without its launch record', (main: ActionRun) => precious(main.runnerTemp, 'go-mod-download-later-AAAAAA')],
    [
      'a link in RUNNER_TEMP to a folder elsewhere',
      (main: ActionRun) => {
        const link = path.join(main.runnerTemp, 'go-mod-download-later-BBBBBB')
        symlinkSync(precious(), link)
        return link
      }
    ]
  ])('%s: refused', async (_, make) => {
    const { main } = await realStep()
    const pid = victim()
    const dir = make(main)
    const post = await runPostBundled(injected(main, [saveState(pid, path.join(dir, 'stats.json'))]), path.dirname(universe.sampleDir), {})
    expect(alive(pid)).toBe(true)
    expect(readFileSync(path.join(dir, 'keep.txt'), 'utf8')).toBe('keep')
    expect(post.log).toContain("::warning::The post step's state for the action's proxy was refused")
    await runPostBundled(main, path.dirname(universe.sampleDir), {})
  })

  it('the step’s own folder with another PID: refused, the folder and the process left alone', async () => {
    const { main, modcache, state } = await realStep()
    const pid = victim()
    const post = await runPostBundled(injected(main, [saveState(pid, state.statsFile)]), path.dirname(universe.sampleDir), {})
    expect(alive(pid)).toBe(true)
    expect(existsSync(state.statsFile)).toBe(true)
    expect(post.log).toMatch(/refused.*records the launch of PID \d+, not \d+/)
    expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toHaveLength(1)
    await runPostBundled(main, path.dirname(universe.sampleDir), {})
    expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
  })
  it('its PID reused after the job proxy died (the step’s folder and record intact): the process now there is not signalled', async () => {
    const { main, modcache, state } = await realStep()
    // The job proxy dies; its PID later names another process. Reuse cannot be forced, so the
    // record is made to name the victim's PID, as reuse would leave it.
    for (const pid of processesWithEnv(`GOMODCACHE=${modcache}`)) process.kill(pid, 'SIGKILL')
    await expect.poll(() => processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
    const pid = victim()
    const recordFile = path.join(path.dirname(state.statsFile), LAUNCH_RECORD)
    writeFileSync(recordFile, JSON.stringify({ ...JSON.parse(readFileSync(recordFile, 'utf8')), pid }))
    const post = await runPostBundled(injected(main, [saveState(pid, state.statsFile)]), path.dirname(universe.sampleDir), {})
    expect(post.exitCode, post.log).toBe(0)
    expect(alive(pid)).toBe(true)
  })
})

describe('the launch record and the process', () => {
  it('a PID is the launched process only while the system says the same of it: start time, command line, group, executable, folder', async () => {
    const pid = victim(process.execPath, ['-e', 'setTimeout(() => {}, 300000)'])
    const now = processIdentity(pid)!
    expect(now.argv).toEqual([process.execPath, '-e', 'setTimeout(() => {}, 300000)'])
    expect(now.group).toBe(pid)
    const record = { pid, startTime: now.startTime, argv: now.argv, exe: now.exe! }
    expect(isLaunched(now, record, now.cwd!)).toBe(true)
    expect(isLaunched(now, { ...record, startTime: String(Number(now.startTime) + 1) }, now.cwd!)).toBe(false)
    expect(isLaunched(now, { ...record, argv: [process.execPath, 'dist/job-proxy.js'] }, now.cwd!)).toBe(false)
    expect(isLaunched(now, { ...record, exe: '/usr/bin/true' }, now.cwd!)).toBe(false)
    expect(isLaunched(now, record, '/elsewhere')).toBe(false)
    expect(isLaunched({ ...now, group: 1 }, record, now.cwd!)).toBe(false)
    expect(isLaunched(undefined, record, now.cwd!)).toBe(false)
  })

  it('ps tells the same start time for the same process each time, and its group and command line (macOS and the BSDs)', () => {
    const pid = victim()
    const [a, b] = [fromPs(pid), fromPs(pid)]
    expect(a).toEqual(b)
    expect(a).toMatchObject({ group: pid, argv: ['sleep', '300'] })
    expect(fromProc(pid)?.argv).toEqual(['sleep', '300'])
    expect(fromPs(2 ** 22 + 17)).toBeUndefined()
  })

  it('a folder named like the step’s, with a launch record, but not in RUNNER_TEMP: refused', () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'elsewhere-'))
    const dir = path.join(elsewhere, 'go-mod-download-later-CCCCCC')
    mkdirSync(dir)
    writeFileSync(path.join(dir, 'launched.json'), JSON.stringify({ pid: 4242, startTime: '1', argv: [] }))
    const runnerTemp = mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))
    expect(verifyState({ pid: 4242, statsFile: path.join(dir, 'stats.json') }, runnerTemp)).toMatch(/is not a folder in RUNNER_TEMP/)
    expect(verifyState({ pid: 4242, statsFile: path.join(dir, 'stats.json') }, elsewhere)).toMatchObject({ record: { pid: 4242 } })
  })

  it('a state that is not a PID and a stats file is refused', () => {
    for (const state of [undefined, null, 'x', { pid: '1', statsFile: '/x/stats.json' }, { pid: 1.5, statsFile: '/x' }, { pid: 1 }]) {
      expect(typeof verifyState(state)).toBe('string')
    }
  })
})
