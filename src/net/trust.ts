// The certificates go trusts, so that a proxy go reaches is one the action reaches too.
// On Linux and the BSDs go reads no bundled list: SSL_CERT_FILE (else the first system bundle
// that exists) and every file of SSL_CERT_DIR (colon-separated; else the system directories),
// as crypto/x509 does. On macOS and Windows go asks the OS, and so does Node 24 for 'system'.
// NODE_EXTRA_CA_CERTS is added on top, as node users expect.
import { X509Certificate } from 'node:crypto'
import { readdirSync, readlinkSync, lstatSync } from 'node:fs'
import { readSettingsFile } from '../util/settings-file.ts'
import path from 'node:path'
import tls from 'node:tls'
import type { Env } from './proxy-env.ts'

/** crypto/x509's root_linux.go: the first of these that exists is the system bundle. */
export const SYSTEM_CERT_FILES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem'
]
export const SYSTEM_CERT_DIRS = ['/etc/ssl/certs', '/etc/pki/tls/certs']

export interface Trust {
  /** PEM certificates, one each, without duplicates. */
  certificates: string[]
  /** Where they came from, for the summary: `SSL_CERT_FILE=/x`, `/etc/ssl/certs`… */
  sources: string[]
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/**
 * Whether a PEM block parses, by its text: the system bundle, the files of the certificate
 * directory and NODE_EXTRA_CA_CERTS usually hold the same roots, and each parse is on the way
 * to the first request (loading this runner's 145 roots from all three took 28 ms, 13 ms with
 * each text parsed once).
 */
const parses = new Map<string, boolean>()

function parsesAsCertificate(pem: string): boolean {
  let ok = parses.get(pem)
  if (ok === undefined) {
    try {
      new X509Certificate(pem)
      ok = true
    } catch {
      ok = false
    }
    parses.set(pem, ok)
  }
  return ok
}

/** Every certificate in a PEM text; blocks that do not parse are skipped, as AppendCertsFromPEM skips them. */
export function certificatesIn(text: string): string[] {
  return (text.match(PEM) ?? []).filter(parsesAsCertificate)
}

const readText = (file: string) => {
  try {
    return readSettingsFile(file, 'latin1')
  } catch {
    return undefined
  }
}

/** readUniqueDirectoryEntries: a symlink to a file of the same directory would only repeat it. */
function directoryFiles(dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names
    .map(name => path.join(dir, name))
    .filter(file => {
      try {
        return !(lstatSync(file).isSymbolicLink() && !readlinkSync(file).includes('/'))
      } catch {
        return false
      }
    })
}

function unixTrust(env: Env): Trust {
  const certificates: string[] = []
  const sources: string[] = []
  const files = env.SSL_CERT_FILE ? [env.SSL_CERT_FILE] : SYSTEM_CERT_FILES
  for (const file of files) {
    const text = readText(file)
    if (text === undefined) continue
    certificates.push(...certificatesIn(text))
    sources.push(env.SSL_CERT_FILE ? `SSL_CERT_FILE=${file}` : file)
    break
  }
  const dirs = env.SSL_CERT_DIR ? env.SSL_CERT_DIR.split(':') : SYSTEM_CERT_DIRS
  for (const dir of dirs) {
    const found = directoryFiles(dir).flatMap(file => certificatesIn(readText(file) ?? ''))
    if (found.length === 0) continue
    certificates.push(...found)
    sources.push(env.SSL_CERT_DIR ? `SSL_CERT_DIR ${dir}` : dir)
  }
  return { certificates, sources }
}

function osTrust(): Trust {
  // Node ≥ 22.15 reads the macOS keychain and the Windows store; older ones only know their bundled list.
  const system = typeof tls.getCACertificates === 'function' ? tls.getCACertificates('system') : []
  return system.length > 0
    ? { certificates: [...system], sources: ['the system store'] }
    : { certificates: [...tls.rootCertificates], sources: ["node's bundled list (this node cannot read the system store)"] }
}

export function loadTrust(env: Env, platform: NodeJS.Platform = process.platform): Trust {
  const trust = platform === 'darwin' || platform === 'win32' ? osTrust() : unixTrust(env)
  const extra = env.NODE_EXTRA_CA_CERTS
  const extraCerts = extra ? certificatesIn(readText(extra) ?? '') : []
  if (extraCerts.length > 0) trust.sources.push(`NODE_EXTRA_CA_CERTS=${extra}`)
  return { certificates: [...new Set([...trust.certificates, ...extraCerts].map(c => c.trim()))], sources: trust.sources }
}
