// A toolchain module for the tests: what go downloads when it switches to a newer release.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { zipSync } from 'fflate'
import { goBinary } from './go.ts'
import { TAMPERED } from './universe.ts'

/** golang.org/toolchain@v0.0.1-go1.99.0.<os>-<arch> in the proxy layout: a bin/go that reports go1.99.0 and delegates to the real go. */
export function writeTestToolchain(proxyDir: string, host: { os: string; arch: string }): void {
  const version = `v0.0.1-go1.99.0.${host.os}-${host.arch}`
  const dir = path.join(proxyDir, 'golang.org', 'toolchain', '@v')
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'list'), `${version}\n`)
  writeFileSync(path.join(dir, `${version}.info`), JSON.stringify({ Version: version, Time: '2026-01-01T00:00:00Z' }))
  writeFileSync(path.join(dir, `${version}.mod`), 'module golang.org/toolchain\n')
  const script = [
    '#!/bin/sh',
    `if [ "$1" = version ] && [ $# -eq 1 ]; then echo "go version go1.99.0 ${host.os}/${host.arch}"; exit 0; fi`,
    // go checks that the toolchain it switched to is the one it asked for; this one is the real go in disguise.
    'unset GOTOOLCHAIN_INTERNAL_SWITCH_VERSION',
    `GOTOOLCHAIN=local exec ${goBinary()} "$@"`,
    ''
  ].join('\n')
  const prefix = `golang.org/toolchain@${version}`
  writeFileSync(path.join(dir, `${version}.zip`), zipSync({ [`${prefix}/bin/go`]: Buffer.from(script), [`${prefix}/VERSION`]: Buffer.from('go1.99.0\n') }))
  // What a tampering proxy serves in its place: a well-formed zip with other contents.
  writeFileSync(path.join(dir, `${version}.zip${TAMPERED}`), zipSync({ [`${prefix}/bin/go`]: Buffer.from('#!/bin/sh\necho tampered\n'), [`${prefix}/VERSION`]: Buffer.from('go1.99.0\n') }))
}
