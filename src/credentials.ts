// Proxy URLs may carry `user:token@`. The token must reach go, and nothing else.

function userinfo(raw: string): { username: string; password: string } | undefined {
  try {
    const url = new URL(raw)
    if (!url.username && !url.password) return undefined
    return { username: url.username, password: url.password }
  } catch {
    return undefined
  }
}

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i

/** The URL as given, its password (or a lone username, likely a token) replaced by `***`. */
export function redactUrl(raw: string): string {
  return raw.replace(USERINFO, (_, scheme: string, info: string) => {
    const colon = info.indexOf(':')
    return colon < 0 ? `${scheme}***@` : `${scheme}${info.slice(0, colon)}:***@`
  })
}

/** Every form in which a URL's secret could be printed, for the runner's log masking. */
export function secretsIn(raw: string): string[] {
  const info = userinfo(raw)
  if (!info) return []
  const secret = info.password || info.username
  return [...new Set([secret, decodeURIComponent(secret)])]
}

/** Replaces every secret in text by `***` (for what the runner does not mask: summary, outputs). */
export function maskSecrets(text: string, secrets: string[]): string {
  return secrets.filter(s => s !== '').reduce((t, s) => t.split(s).join('***'), text)
}
