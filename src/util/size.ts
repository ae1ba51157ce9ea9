// Sizes as people read them in the log, the summary and the terminal.

export const formatSize = (bytes: number | undefined) => (bytes === undefined ? '' : `${(bytes / (1 << 20)).toFixed(1)} MiB`)
