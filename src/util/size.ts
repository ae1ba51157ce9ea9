// Sizes as people read them in the log, the summary and the terminal.

/** MiB with one decimal; under a MiB in whole KiB (rounded up), so that a small download does not read as `0.0 MiB`, none. */
export const formatSize = (bytes: number | undefined) => {
  if (bytes === undefined) return ''
  // Just under a MiB, whole KiB rounded up would read `1024 KiB`.
  return bytes <= 1023 << 10 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`
}
