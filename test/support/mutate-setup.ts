// The mutation set's setup (vitest.mutate.config.ts): every module Stryker mutates is imported
// here, before any test of a file runs. Their module-level code (constants, regular expressions,
// tables of rules) then runs outside every test, and Stryker counts its mutants as static (left
// out: ignoreStatic in stryker.config.mjs) whichever test file happens to run first. Without it,
// a module first imported inside a test (a test that runs the action imports all of it) had its
// constants counted as reached by that one test alone: their mutants were run against that test
// only and survived, and which ones did changed with the order of the test files.
import { globSync } from 'node:fs'
import path from 'node:path'

const root = path.join(import.meta.dirname, '../..')
const { default: config } = (await import(path.join(root, 'stryker.config.mjs'))) as { default: { mutate: string[] } }
for (const file of globSync(config.mutate, { cwd: root }).sort()) await import(path.join(root, file))
