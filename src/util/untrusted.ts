// Text from outside (go's output, git's and the servers' words that go quotes, the cache
// processes' log, a summary printed to the log) reaches the job's log as text, never as a
// workflow command.
//
// The runner splits a step's output into lines at \n, \r and \r\n, and takes a line for a command
// when, its leading white space trimmed, it starts `::name …::`, or when it holds `##[name …]`
// anywhere (actions/runner: ActionCommand.TryParseV2, then TryParse). Every such spot gets a
// backslash after its `::` or `##[`, as the runner itself defuses `##[start-action`: no command's
// name starts with one, so the line is shown, backslash and all, and does nothing.
//
// Lines are defused one by one rather than fenced between `::stop-commands::<token>` and
// `::<token>::` because a fence is state shared by the whole step: go's output streams while the
// fetch, the probe and the cache stages run, and any command of the step's own issued inside an
// open fence (a mask above all) would be dropped. A defused line needs nothing around it.

const LINE_BREAK = /\r\n|\r|\n/
// What .NET's TrimStart skips (Unicode white space, U+0085 included), and format characters
// besides: skipping more than the runner does is harmless, skipping less is not.
const COMMAND_START = /^([\p{White_Space}\p{Cf}]*::)/u
const BRACKET_COMMAND = /##\[/g

/** `text`, each of its lines unable to issue a workflow command. */
export function inert(text: string): string {
  return text
    .split(LINE_BREAK)
    .map(line => line.replace(BRACKET_COMMAND, '##[\\').replace(COMMAND_START, '$1\\'))
    .join('\n')
}

// @actions/cache in the restore and save processes masks its signed URLs and logs its failures
// as annotations; those commands, and nothing else, keep working. Its info lines quote the cache
// service (a key, an error body) and are defused like the rest. A command as core writes it holds
// no raw line break (core escapes them): one that does was written by something else.
const CACHE_COMMAND = /^::(add-mask|debug|notice|warning|error)( [^:\r\n]*)?::[^\r\n]*$/

/** A line of a cache process's output, as the step passes it on. */
export function cacheLogLine(line: string): string {
  return CACHE_COMMAND.test(line) ? line : inert(line)
}

/** C0 controls but tab, DEL and C1 controls (ESC and CSI among them): what makes a terminal act instead of show. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/** Text from outside as a terminal shows it: its control characters as visible escapes. */
export function visible(text: string): string {
  return text.replace(CONTROL, escaped)
}

/** Line breaks, and the line and paragraph separators go lets through as white space. */
const BREAK = /[\n\u2028\u2029]/g

/** Text from outside on one line of a log, whoever prints it: every control character and line break shown as an escape, and defused where the runner would find a command in it. */
export function oneLine(text: string): string {
  return inert(visible(text).replace(BREAK, escaped))
}

const escaped = (c: string): string => {
  const code = c.charCodeAt(0)
  return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`
}
