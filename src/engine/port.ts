// How the engine tells the world what it does, whichever front door runs it: the Action maps the
// port to @actions/core (its log, groups, annotations and masks), the CLI to a terminal. Stages
// write through `port` and return their reports; no engine file imports @actions/*
// (test/boundary.test.ts). The front door installs its adapter once, before anything runs.

/** What the fetch has done so far, for a live progress line. */
export interface Progress {
  /** Files fetched and verified, of those planned (0 while the plan is made). */
  files: number
  planned: number
  /** Bytes received from candidates. */
  bytes: number
  /** The candidate asked first, as people see it. */
  candidate?: string
}

export interface Port {
  /** A line of the engine's own words. */
  info(line: string): void
  /** Text from outside (go's output, a server's words, the cache service's log): shown as text, never obeyed. */
  echo(text: string): void
  warning(line: string): void
  /** Lines written during `work` belong together (a foldable group in the Actions log). */
  group<T>(name: string, work: () => Promise<T>): Promise<T>
  /** A value that must never be shown: masked in everything written from now on. */
  secret(value: string): void
  progress(progress: Progress): void
}

/** Until a front door installs its own: nothing is written anywhere (a test that runs a stage alone). */
const silent: Port = {
  info: () => undefined,
  echo: () => undefined,
  warning: () => undefined,
  group: (_name, work) => work(),
  secret: () => undefined,
  progress: () => undefined
}

let current: Port = silent

/** The port every stage writes through. */
export const port: Port = {
  info: line => current.info(line),
  echo: text => current.echo(text),
  warning: line => current.warning(line),
  group: (name, work) => current.group(name, work),
  secret: value => current.secret(value),
  progress: progress => current.progress(progress)
}

/** Installs the front door's adapter; returns the one it replaced. */
export function usePort(adapter: Port): Port {
  const before = current
  current = adapter
  return before
}
