import { describe, expect, it } from 'vitest'
import { downloadEnv } from '../src/download/attempt.ts'

describe('downloadEnv', () => {
  it('sets the chain, adds -modcacherw to the GOFLAGS go reports, and guards git', () => {
    const env = downloadEnv({ PATH: '/bin', GOPROXY: 'https://ignored.example.com', GOFLAGS: '-mod=mod' }, 'https://a.example.com|direct', '-mod=mod -tags=ci')
    expect(env).toEqual({
      PATH: '/bin',
      GOPROXY: 'https://a.example.com|direct',
      GOFLAGS: '-mod=mod -tags=ci -modcacherw',
      GIT_TERMINAL_PROMPT: '0',
      GCM_INTERACTIVE: 'never',
      GIT_HTTP_LOW_SPEED_LIMIT: '1000',
      GIT_HTTP_LOW_SPEED_TIME: '30',
      GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o ConnectTimeout=30',
      // git writes the pack of a small fetch to disk as it arrives, where the watchdog sees it.
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'fetch.unpackLimit',
      GIT_CONFIG_VALUE_0: '1'
    })
  })

  it("adds git's unpack limit after the user's own configuration entries, and keeps theirs when they set one", () => {
    const redirect = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'url.https://git.example.com/.insteadOf', GIT_CONFIG_VALUE_0: 'https://corp.example.com/' }
    expect(downloadEnv(redirect, 'direct', '')).toMatchObject({ ...redirect, GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_1: 'fetch.unpackLimit', GIT_CONFIG_VALUE_1: '1' })
    const own = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'transfer.unpackLimit', GIT_CONFIG_VALUE_0: '50' }
    expect(downloadEnv(own, 'direct', '')).toMatchObject(own)
    expect(downloadEnv(own, 'direct', '').GIT_CONFIG_KEY_1).toBeUndefined()
    // git refuses a count that is not one; nothing is added to it.
    expect(downloadEnv({ GIT_CONFIG_COUNT: 'x' }, 'direct', '').GIT_CONFIG_COUNT).toBe('x')
  })

  it("keeps the user's own git settings and an explicit -modcacherw", () => {
    const user = { GIT_TERMINAL_PROMPT: '1', GIT_HTTP_LOW_SPEED_TIME: '300', GIT_SSH: '/usr/bin/my-ssh' }
    const env = downloadEnv(user, 'off', '-modcacherw=false')
    expect(env).toMatchObject({ ...user, GOFLAGS: '-modcacherw=false' })
    expect(env.GIT_SSH_COMMAND).toBeUndefined()
  })

  it("passes the user's privacy and checksum settings through untouched", () => {
    const user = { GOPRIVATE: 'corp.example.com/*', GONOPROXY: 'corp.example.com/tools', GONOSUMDB: 'corp.example.com', GOINSECURE: 'lab.example.com', GOSUMDB: 'sum.example.com' }
    expect(downloadEnv(user, 'https://a.example.com', '')).toMatchObject(user)
  })

  it("after HTTP/2 stream errors, turns go's HTTP/2 client off, keeping the user's GODEBUG", () => {
    expect(downloadEnv({ GODEBUG: 'netdns=go' }, 'https://a.example.com', '', true).GODEBUG).toBe('netdns=go,http2client=0')
    expect(downloadEnv({}, 'https://a.example.com', '', true).GODEBUG).toBe('http2client=0')
    expect(downloadEnv({ GODEBUG: 'netdns=go' }, 'https://a.example.com', '').GODEBUG).toBe('netdns=go')
  })
})
