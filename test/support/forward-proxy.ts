// A real forward proxy on a free loopback port: names resolve only through its own hosts file
// (so a request that bypasses it fails), optionally Basic credentials (407 without them), and
// a log of what went through. Two implementations: test/cache-server/forwardproxy, built from
// Go source with the other test tools (every machine has it), and Debian's squid, the proxy
// companies run, where it is installed (.ci/run installs it).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { closedPort, listening } from './proxy-server.ts'
import { tools } from './tools.ts'

export type ForwardProxyKind = 'go' | 'squid'

export interface ForwardProxy {
  /** http://127.0.0.1:PORT, credentials not included. */
  url: string
  /** What went through, a line a request: `GET http://host:port/path 200`, `CONNECT host:port 200`. */
  log: () => string[]
  close: () => Promise<void>
}

export interface ForwardProxyOptions {
  /** Names only the proxy can resolve, each to an address (127.0.0.1 for the test's servers). */
  hosts: Record<string, string>
  /** Require these Basic credentials; without them the proxy answers 407. */
  credentials?: { user: string; password: string }
}

const SQUID = '/usr/sbin/squid'

/** The forward proxies this machine can run: the Go one always, squid where it is installed. */
export function forwardProxyKinds(): ForwardProxyKind[] {
  return existsSync(SQUID) ? ['go', 'squid'] : ['go']
}

export function startForwardProxy(kind: ForwardProxyKind, options: ForwardProxyOptions): Promise<ForwardProxy> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `forward-proxy-${kind}-`))
  const hostsFile = path.join(dir, 'hosts')
  writeFileSync(hostsFile, Object.entries(options.hosts).map(([name, ip]) => `${ip} ${name}\n`).join(''), { mode: 0o644 })
  return kind === 'go' ? startGo(dir, hostsFile, options) : startSquid(dir, hostsFile, options)
}

async function startGo(dir: string, hostsFile: string, options: ForwardProxyOptions): Promise<ForwardProxy> {
  const logFile = path.join(dir, 'access.log')
  const credentials = options.credentials ? ['-user', options.credentials.user, '-password', options.credentials.password] : []
  const child = spawn(tools.forwardProxy, ['-hosts', hostsFile, '-log', logFile, ...credentials], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  const url = await firstLine(child)
  return {
    url,
    log: () => readLines(logFile),
    close: async () => {
      if (child.exitCode === null) child.kill('SIGKILL')
      await exited
    }
  }
}

async function firstLine(child: ChildProcess): Promise<string> {
  for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) return line
  throw new Error(`the forward proxy exited with ${child.exitCode} before it listened`)
}

const readLines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(line => line !== '') : [])


async function startSquid(dir: string, hostsFile: string, options: ForwardProxyOptions): Promise<ForwardProxy> {
  // squid started as root works as the `proxy` user: it must write its logs here.
  chmodSync(dir, 0o777)
  const file = (name: string) => path.join(dir, name)
  const port = await closedPort()
  const auth = options.credentials
    ? (() => {
        const hash = execFileSync('openssl', ['passwd', '-apr1', options.credentials.password], { encoding: 'utf8' }).trim()
        writeFileSync(file('passwd'), `${options.credentials.user}:${hash}\n`, { mode: 0o644 })
        return [
          `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${file('passwd')}`,
          'auth_param basic children 2',
          'auth_param basic realm test-proxy',
          'acl authenticated proxy_auth REQUIRED',
          'http_access allow authenticated',
          'http_access deny all'
        ]
      })()
    : ['http_access allow all']
  writeFileSync(
    file('squid.conf'),
    [
      `http_port 127.0.0.1:${port}`,
      'visible_hostname forward-proxy.test',
      `pid_filename ${file('squid.pid')}`,
      `access_log stdio:${file('access.log')}`,
      `cache_log ${file('cache.log')}`,
      'cache_store_log none',
      'cache deny all',
      `hosts_file ${hostsFile}`,
      // Names missing from the hosts file must never be looked up beyond loopback.
      'dns_nameservers 127.0.0.1',
      'netdb_filename none',
      'pinger_enable off',
      `coredump_dir ${dir}`,
      'shutdown_lifetime 0 seconds',
      ...auth,
      ''
    ].join('\n')
  )
  const child = spawn(SQUID, ['-N', '-f', file('squid.conf')], { stdio: 'ignore', detached: true })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  await listening(port, child, 'squid')
  return {
    url: `http://127.0.0.1:${port}`,
    // `time elapsed client result/status bytes METHOD URL …` → `METHOD URL status`
    log: () =>
      readLines(file('access.log'))
        // The readiness check's bare connection is logged as a transaction without a request.
        .filter(line => !line.includes('error:transaction-end-before-headers'))
        .map(line => {
          const f = line.trim().split(/\s+/)
          return `${f[5]} ${f[6]} ${f[3]?.split('/')[1]}`
        }),
    close: async () => {
      if (child.exitCode === null && child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      await exited
    }
  }
}
