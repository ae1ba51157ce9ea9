// A self-signed certificate for 127.0.0.1, made by openssl, for loopback https proxies.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface Certificate {
  key: string
  cert: string
  /** The certificate's file: trusted by go through SSL_CERT_FILE, by node through NODE_EXTRA_CA_CERTS. */
  certFile: string
}

export function loopbackCertificate(): Certificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tls-'))
  const keyFile = path.join(dir, 'key.pem')
  const certFile = path.join(dir, 'cert.pem')
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', keyFile, '-out', certFile
  ], { stdio: 'ignore' })
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile }
}

export interface Authority {
  /** The CA's certificate file: what SSL_CERT_FILE, SSL_CERT_DIR or NODE_EXTRA_CA_CERTS must hold to trust it. */
  certFile: string
  /** A server key and certificate for these DNS names (127.0.0.1 is always included), signed by the CA. */
  issue: (...names: string[]) => { key: string; cert: string }
}

/** A private CA, as a corporate network has: its servers' certificates are trusted only where the CA is. */
export function testAuthority(): Authority {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ca-'))
  const file = (name: string) => path.join(dir, name)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  execFileSync('openssl', [
    'req', '-x509', ...ec, '-days', '2', '-subj', '/CN=Test Corporate Root CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', file('ca.key'), '-out', file('ca.pem')
  ], { stdio: 'ignore' })
  let serial = 0
  return {
    certFile: file('ca.pem'),
    issue: (...names) => {
      const id = `leaf${++serial}`
      execFileSync('openssl', ['req', ...ec, '-subj', `/CN=${names[0] ?? '127.0.0.1'}`, '-keyout', file(`${id}.key`), '-out', file(`${id}.csr`)], { stdio: 'ignore' })
      const alt = ['IP:127.0.0.1', ...names.map(n => `DNS:${n}`)].join(',')
      writeFileSync(file(`${id}.ext`), `subjectAltName=${alt}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`)
      execFileSync('openssl', [
        'x509', '-req', '-in', file(`${id}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-set_serial', String(serial + 1000),
        '-days', '2', '-extfile', file(`${id}.ext`), '-out', file(`${id}.pem`)
      ], { stdio: 'ignore' })
      return { key: readFileSync(file(`${id}.key`), 'utf8'), cert: readFileSync(file(`${id}.pem`), 'utf8') }
    }
  }
}
