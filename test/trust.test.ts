// Trust roots as go reads them on Linux: SSL_CERT_FILE replaces the system bundle, SSL_CERT_DIR
// the system directories; every certificate file in a directory counts; NODE_EXTRA_CA_CERTS adds.
import { copyFileSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { certificatesIn, loadTrust } from '../src/net/trust.ts'
import { testAuthority } from './support/tls.ts'

const one = testAuthority()
const two = testAuthority()
const pem = (file: string) => readFileSync(file, 'utf8').trim()
const temp = () => mkdtempSync(path.join(os.tmpdir(), 'trust-'))

describe('certificatesIn', () => {
  it('keeps each certificate block and skips what does not parse', () => {
    const broken = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----'
    expect(certificatesIn(`junk\n${pem(one.certFile)}\n${broken}\n${pem(two.certFile)}\n`)).toEqual([pem(one.certFile), pem(two.certFile)])
  })
})

describe('loadTrust on Linux', () => {
  it('SSL_CERT_FILE is the only bundle read; SSL_CERT_DIR lists the directories (colon-separated)', () => {
    const dirA = temp()
    const dirB = temp()
    copyFileSync(two.certFile, path.join(dirB, 'any-name.crt'))
    // A same-directory symlink would only repeat a file: go skips it.
    symlinkSync('any-name.crt', path.join(dirB, 'link.pem'))
    writeFileSync(path.join(dirA, 'README'), 'not a certificate')
    const trust = loadTrust({ SSL_CERT_FILE: one.certFile, SSL_CERT_DIR: `${dirA}:${dirB}` }, 'linux')
    expect(trust.certificates).toEqual([pem(one.certFile), pem(two.certFile)])
    expect(trust.sources).toEqual([`SSL_CERT_FILE=${one.certFile}`, `SSL_CERT_DIR ${dirB}`])
  })

  it('a missing SSL_CERT_FILE is not replaced by the system bundle, as in go', () => {
    const trust = loadTrust({ SSL_CERT_FILE: '/nonexistent/ca.pem', SSL_CERT_DIR: temp() }, 'linux')
    expect(trust.certificates).toEqual([])
  })

  it('NODE_EXTRA_CA_CERTS is added, without duplicates', () => {
    const trust = loadTrust({ SSL_CERT_FILE: one.certFile, SSL_CERT_DIR: temp(), NODE_EXTRA_CA_CERTS: one.certFile }, 'linux')
    expect(trust.certificates).toEqual([pem(one.certFile)])
    const both = loadTrust({ SSL_CERT_FILE: one.certFile, SSL_CERT_DIR: temp(), NODE_EXTRA_CA_CERTS: two.certFile }, 'linux')
    expect(both.certificates).toHaveLength(2)
    expect(both.sources.at(-1)).toBe(`NODE_EXTRA_CA_CERTS=${two.certFile}`)
  })
})
