// cache-dependency-path's patterns, matched as @actions/glob matches them (hashFiles() too).
import * as glob from '@actions/glob'
import type { GlobFiles } from '../engine/depfiles.ts'

export const globFiles: GlobFiles = async patterns => (await glob.create(patterns.join('\n'), { matchDirectories: false })).glob()
