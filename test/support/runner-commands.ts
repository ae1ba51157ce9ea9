// What the GitHub Actions runner makes of a step's standard output: an emulation of
// actions/runner's ActionCommandManager.TryProcessCommand and ActionCommand.TryParseV2/TryParse,
// read from its source (no runner can run here). Output is split into lines as .NET's
// StreamReader.ReadLine does (\n, \r, \r\n). A line is a command when, its leading white space
// trimmed (.NET's char.IsWhiteSpace), it is `::name k=v,…::data` with a registered name, or else
// when it holds `##[name k=v;…]data` anywhere with one. `::stop-commands::<token>` stops all
// processing until a line `::<token>::` (the token must not be a registered name); `add-mask`
// masks the value in what is shown after it.
export interface RunnerCommand {
  name: string
  properties: Record<string, string>
  data: string
  /** The line it came from. */
  line: string
}

export interface RunnerView {
  /** Commands the runner carried out, in order (stop and resume included). */
  commands: RunnerCommand[]
  /** The step's state as `save-state` commands left it. */
  state: Record<string, string>
  /** The log as shown: lines that were not commands, masked as the runner masks them. */
  shown: string[]
  /** Commands the runner refused (an invalid stop token). */
  refused: string[]
}

const REGISTERED = [
  'set-env',
  'set-output',
  'save-state',
  'add-mask',
  'add-path',
  'add-matcher',
  'remove-matcher',
  'debug',
  'warning',
  'error',
  'notice',
  'group',
  'endgroup',
  'echo',
  'stop-commands'
]

// .NET's char.IsWhiteSpace: the Unicode categories Zs, Zl, Zp, and \t \n \v \f \r U+0085 U+00A0.
const DOTNET_LEADING_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/

const unescape = (text: string, map: [string, string][]) => map.reduce((s, [code, char]) => s.split(code).join(char), text)
const DATA: [string, string][] = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%25', '%']
]
const PROPERTY: [string, string][] = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%3A', ':'],
  ['%2C', ','],
  ['%25', '%']
]
const LEGACY: [string, string][] = [
  ['%3B', ';'],
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%5D', ']'],
  ['%25', '%']
]

function parseV2(line: string, registered: Set<string>): RunnerCommand | undefined {
  const message = line.replace(DOTNET_LEADING_SPACE, '')
  if (!message.startsWith('::')) return undefined
  const end = message.indexOf('::', 2)
  if (end < 0) return undefined
  const info = message.slice(2, end)
  const space = info.indexOf(' ')
  const name = space < 0 ? info : info.slice(0, space)
  if (!registered.has(name.toLowerCase())) return undefined
  const properties: Record<string, string> = {}
  if (space > 0) {
    for (const pair of info.slice(space + 1).trim().split(',').filter(Boolean)) {
      const eq = pair.indexOf('=')
      if (eq > 0 && eq < pair.length - 1) properties[pair.slice(0, eq)] = unescape(pair.slice(eq + 1), PROPERTY)
    }
  }
  return { name, properties, data: unescape(message.slice(end + 2), DATA), line }
}

function parseLegacy(line: string, registered: Set<string>): RunnerCommand | undefined {
  const prefix = line.indexOf('##[')
  if (prefix < 0) return undefined
  const bracket = line.indexOf(']', prefix)
  if (bracket < 0) return undefined
  const info = line.slice(prefix + 3, bracket)
  const space = info.indexOf(' ')
  const name = space < 0 ? info : info.slice(0, space)
  if (!registered.has(name.toLowerCase())) return undefined
  const properties: Record<string, string> = {}
  if (space > 0) {
    for (const pair of info.slice(space + 1).split(';').filter(Boolean)) {
      const eq = pair.indexOf('=')
      if (eq > 0 && eq < pair.length - 1) properties[pair.slice(0, eq)] = unescape(pair.slice(eq + 1), LEGACY)
    }
  }
  return { name, properties, data: unescape(line.slice(bracket + 1), LEGACY), line }
}

/** The runner's reading of `output`, a step's standard output (stderr is read the same way). */
export function readAsRunner(output: string): RunnerView {
  const registered = new Set(REGISTERED)
  const view: RunnerView = { commands: [], state: {}, shown: [], refused: [] }
  const masks: string[] = []
  const show = (line: string) => view.shown.push(masks.reduce((s, secret) => s.split(secret).join('***'), line))
  let stopToken: string | undefined
  for (const line of output.split(/\r\n|\r|\n/)) {
    const command = line.includes('##[') || line.includes('::') ? (parseV2(line, registered) ?? parseLegacy(line, registered)) : undefined
    if (!command) {
      show(line)
      continue
    }
    const name = command.name.toLowerCase()
    if (stopToken !== undefined) {
      if (name === stopToken.toLowerCase()) {
        registered.delete(name)
        stopToken = undefined
        view.commands.push(command)
      } else show(line)
      continue
    }
    if (name === 'stop-commands') {
      const token = command.data
      if (token === '' || registered.has(token.toLowerCase()) || token.toLowerCase() === 'pause-logging') {
        view.refused.push(line)
        continue
      }
      stopToken = token
      registered.add(token.toLowerCase())
      if (token.length > 6) masks.push(token)
      view.commands.push(command)
      continue
    }
    view.commands.push(command)
    if (name === 'save-state' && command.properties.name) view.state[command.properties.name] = command.data
    if (name === 'add-mask' && command.data.trim() !== '') masks.push(command.data)
  }
  return view
}
