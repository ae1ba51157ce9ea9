// Counts as people read them: `1 zip`, `2 zips`.

/** `n` and the word, in the plural unless `n` is 1. */
export const counted = (n: number, word: string, plural = `${word}s`) => `${n} ${n === 1 ? word : plural}`
