// The most bytes an answer may have, per kind of request: a candidate that sends more is cut
// off there, and nothing larger reaches the disk or memory. go's own limits where it has them
// (cmd/go's codehost.MaxGoMod and MaxZipFile); bounds of our own where go reads whole answers.

const MiB = 1 << 20

export const MAX_BYTES = {
  /** codehost.MaxZipFile: go refuses a larger module zip. */
  zip: 500 * MiB,
  /** codehost.MaxGoMod: go refuses a larger go.mod. */
  mod: 16 * MiB,
  /**
   * An .info or @latest is a version, a time and an origin of a few short fields, under a KiB
   * in practice: 1 MiB is a thousand times that, and a candidate cannot make it cost more.
   */
  info: 1 * MiB,
  latest: 1 * MiB,
  /**
   * One version a line, about 40 bytes: 4 MiB holds 100,000 versions, several times the longest
   * list known (golang.org/toolchain's, every Go release for every platform).
   */
  list: 4 * MiB,
  /**
   * A lookup or a signed tree head is under a KiB; go's client asks tiles of height 8, 8 KiB of
   * hashes or 256 records: 1 MiB is far above both.
   */
  sumdb: 1 * MiB
} as const

export type LimitedKind = keyof typeof MAX_BYTES
