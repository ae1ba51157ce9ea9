// What go's -x output says of one run's fetches: how proxies answered its requests, and the
// version-control commands of its direct fetches (which repository, which still running when the
// run ended). go prints each request (`# get URL`, then `# get URL: 200 OK (0.1s)` or its error),
// each work directory of a repository (`mkdir -p DIR # git3 URL`, or `# DIR for git3 URL` when
// reused), and each command in one (`cd DIR; git …`, then `0.106s # cd DIR; git …` when done).
// The URLs are the module's own (before git's insteadOf rewriting), credentials redacted by go.

const REQUEST_ENDED = /^# get (\S+?): (.*)$/
const STATUS = /^(\d{3}) /
const WORK_DIR = /^(?:mkdir -p (.+) # |# (.+) for )(git3|vcs1\.\w+) (\S+)$/
const COMMAND_DONE = /^\d+\.\d{3}s # (cd .+)$/
const COMMAND_STARTED = /^cd (.+?); (\S+)(.*)$/
// cmd/go/internal/vcs prints `cd DIR` and the command on lines of their own, with no end line.
const PING = /^(git|hg|svn|bzr|fossil) (.+)$/

export interface GoRequests {
  /** Request URLs a proxy answered with a 2xx. */
  answered: string[]
  /** Request URLs that ended otherwise: an error, or another status (404 and 410 included). */
  unanswered: string[]
}

export class GoOutput {
  readonly requests: GoRequests = { answered: [], unanswered: [] }
  /** Repository by work directory. */
  private readonly remotes = new Map<string, string>()
  /** Commands started in a work directory and not done, by their text. */
  private readonly running = new Map<string, number>()
  /** A command of cmd/go/internal/vcs's, until go prints anything after it. */
  private ping: string | undefined

  line(text: string): void {
    this.ping = undefined
    const request = REQUEST_ENDED.exec(text)
    if (request) {
      const status = Number(STATUS.exec(request[2] as string)?.[1])
      ;(status >= 200 && status < 300 ? this.requests.answered : this.requests.unanswered).push(request[1] as string)
      return
    }
    const dir = WORK_DIR.exec(text)
    if (dir) {
      this.remotes.set((dir[1] ?? dir[2]) as string, dir[4] as string)
      return
    }
    const done = COMMAND_DONE.exec(text)
    if (done) {
      const count = (this.running.get(done[1] as string) ?? 1) - 1
      if (count > 0) this.running.set(done[1] as string, count)
      else this.running.delete(done[1] as string)
      return
    }
    if (COMMAND_STARTED.test(text)) {
      this.running.set(text, (this.running.get(text) ?? 0) + 1)
      return
    }
    if (PING.test(text)) this.ping = text
  }

  /** What go was waiting on in its version-control commands, for people: `git fetch of https://git.example.com/repo`. */
  waitingOn(): string[] {
    const commands = [...this.running.keys()].map(text => {
      const [, dir, tool, args] = COMMAND_STARTED.exec(text) as RegExpExecArray
      const remote = this.remotes.get(dir as string)
      return `${tool} ${subcommand(args as string)}${remote ? ` of ${remote}` : ''}`.trim()
    })
    return this.ping ? [...commands, this.ping] : commands
  }
}

/** The subcommand of a git (or other tool's) command line: its first word that is not an option or an option's value. */
function subcommand(args: string): string {
  const words = args.trim().split(/\s+/)
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string
    if (word === '-c' || word === '-C') i++
    else if (!word.startsWith('-')) return word
  }
  return ''
}
