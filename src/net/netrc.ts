// .netrc as cmd/go reads it: `machine`, `login` and `password` tokens; a machine counts once it
// has all three; `macdef` bodies are skipped; `default` ends the file (go ignores it).
import path from 'node:path'
import type { Env } from './proxy-env.ts'

export interface NetrcEntry {
  /** A host, or host:port: go compares it with the request URL's host as written. */
  machine: string
  login: string
  password: string
}

export function parseNetrc(text: string): NetrcEntry[] {
  const entries: NetrcEntry[] = []
  let entry = { machine: '', login: '', password: '' }
  let inMacro = false
  for (const line of text.split('\n')) {
    if (inMacro) {
      if (line === '') inMacro = false
      continue
    }
    const fields = line.split(/[ \t\r\v\f]+/).filter(f => f !== '')
    let i = 0
    for (; i < fields.length - 1; i += 2) {
      const [token, value] = [fields[i] as string, fields[i + 1] as string]
      if (token === 'machine') entry = { machine: value, login: '', password: '' }
      else if (token === 'login') entry.login = value
      else if (token === 'password') entry.password = value
      else if (token === 'macdef') inMacro = true
      if (entry.machine && entry.login && entry.password) {
        entries.push(entry)
        entry = { machine: '', login: '', password: '' }
      }
    }
    if (fields[i] === 'default') break
  }
  return entries
}

/** $NETRC, else ~/.netrc (~/_netrc on Windows), as go finds it. */
export function netrcPath(env: Env, platform: NodeJS.Platform = process.platform): string | undefined {
  if (env.NETRC) return env.NETRC
  const home = platform === 'win32' ? env.USERPROFILE : env.HOME
  if (!home) return undefined
  return path.join(home, platform === 'win32' ? '_netrc' : '.netrc')
}
