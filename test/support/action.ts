// Runs the action as the runner does: inputs as INPUT_* variables, and the command files
// (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY, GITHUB_STATE) read back afterwards.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'

export interface ActionRun {
  outputs: Record<string, string>
  /** What the step exported to later steps. */
  exported: Record<string, string>
  /** Directories the step added to PATH for later steps. */
  paths: string[]
  summary: string
  state: string
  log: string
  failed: boolean
  /** The step's RUNNER_TEMP: the job's, which its post step shares. */
  runnerTemp: string
}

const FILES = ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE'] as const

/** action.yml's defaults, as the runner passes them when a workflow leaves an input out. */
export function actionDefaults(): Record<string, string> {
  const action = parse(readFileSync(path.join(import.meta.dirname, '../../action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>
  }
  return Object.fromEntries(Object.entries(action.inputs).map(([name, spec]) => [name, spec.default ?? '']))
}

function stepEnv(inputs: Record<string, string>, workspace: string): Record<string, string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'step-'))
  const env: Record<string, string> = { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: dir }
  for (const name of FILES) {
    env[name] = path.join(dir, name.toLowerCase())
    writeFileSync(env[name] as string, '')
  }
  for (const [name, value] of Object.entries({ ...actionDefaults(), ...inputs })) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  return env
}

/** `name<<delimiter\nvalue\ndelimiter` blocks, as @actions/core writes them. */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^=<]+)<<(.+)$/.exec(lines[i] as string)
    if (!m) continue
    const end = lines.indexOf(m[2] as string, i + 1)
    values[m[1] as string] = lines.slice(i + 1, end).join('\n')
    i = end
  }
  return values
}

function readStep(env: Record<string, string>, log: string, failed: boolean): ActionRun {
  const read = (name: (typeof FILES)[number]) => readFileSync(env[name] as string, 'utf8')
  return {
    outputs: parseCommandFile(read('GITHUB_OUTPUT')),
    exported: parseCommandFile(read('GITHUB_ENV')),
    paths: read('GITHUB_PATH').split('\n').filter(Boolean),
    summary: read('GITHUB_STEP_SUMMARY'),
    state: read('GITHUB_STATE'),
    log,
    failed,
    runnerTemp: env.RUNNER_TEMP as string
  }
}

/** Runs the Action's main step (src/action/main.ts) in this process, with its log captured. */
export async function runInProcess(inputs: Record<string, string>, workspace: string, env: Record<string, string>): Promise<ActionRun> {
  const { runAction: run } = await import('../../src/action/main.ts')
  const step = { ...stepEnv(inputs, workspace), ...env }
  const saved = { ...process.env }
  Object.assign(process.env, step)
  const chunks: string[] = []
  const write = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk))
    return true
  }) as typeof process.stdout.write
  try {
    await run()
  } finally {
    process.stdout.write = write
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
    Object.assign(process.env, saved)
  }
  const failed = process.exitCode === 1
  process.exitCode = undefined
  return readStep(step, chunks.join(''), failed)
}

/** Runs the bundled entry in a child process with the given node, as the runner does. */
export function runBundled(
  node: string,
  inputs: Record<string, string>,
  workspace: string,
  env: Record<string, string>,
  /** Sees the log as it grows, with the step's process: to signal it mid-run. */
  watch?: (log: string, step: ChildProcess) => void
): Promise<ActionRun & { exitCode: number | null; signal: NodeJS.Signals | null }> {
  const step = { ...stepEnv(inputs, workspace), ...env }
  const child = spawn(node, [path.join(import.meta.dirname, '../../dist/index.js')], {
    cwd: workspace,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.homedir(), ...step },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const chunks: string[] = []
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', c => {
      chunks.push(String(c))
      watch?.(chunks.join(''), child)
    })
  }
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ ...readStep(step, chunks.join(''), code !== 0), exitCode: code, signal }))
  })
}

/**
 * Runs the bundled post step (dist/post.js) as the runner does after the job's other steps:
 * the main step's saved state as STATE_* variables, a summary file of its own.
 */
export function runPostBundled(main: ActionRun, workspace: string, env: Record<string, string>): Promise<ActionRun & { exitCode: number | null }> {
  const state = Object.fromEntries(Object.entries(parseCommandFile(main.state)).map(([name, value]) => [`STATE_${name}`, value]))
  // One job: the post step shares the main step's RUNNER_TEMP.
  const step = { ...stepEnv({}, workspace), RUNNER_TEMP: main.runnerTemp, ...state, ...env }
  const child = spawn(process.execPath, [path.join(import.meta.dirname, '../../dist/post.js')], {
    cwd: workspace,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.homedir(), ...step },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const chunks: string[] = []
  for (const stream of [child.stdout, child.stderr]) stream.on('data', c => chunks.push(String(c)))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', code => resolve({ ...readStep(step, chunks.join(''), code !== 0), exitCode: code }))
  })
}

/** Processes still alive whose environment holds `entry` (e.g. a test's unique GOMODCACHE). */
export function processesWithEnv(entry: string): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0')
      if (environ.includes(entry)) pids.push(Number(name))
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return pids
}
