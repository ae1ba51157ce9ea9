// What go will ask in this step, decided before anything is asked: every module go.sum and the
// project's go.mod files name, against go's routing (private.ts). When GONOPROXY covers them all,
// no candidate is probed (go asks none), nor reordered or warned about; when GONOSUMDB covers
// them all, the checksum database is not probed (go asks it nothing).
import { port } from '../engine/port.ts'
import type { PlanInput } from '../fetch/download-set.ts'
import type { Candidate } from '../go/goproxy.ts'
import { isLocalPath } from '../go/gomod.ts'
import type { SumLine } from '../module/gosum.ts'
import { type Coverage, coverage, type ModuleRouting } from '../go/private.ts'
import type { ProbeResult } from '../probe/probe.ts'
import type { ProbeReport } from '../probe/stage.ts'
import { parseGosumdb } from '../go/sumdb.ts'

/**
 * Over the project (undefined when go cannot read it: nothing is known) and go.sum, and the
 * toolchain go fetches through the chain, checked against the checksum database whatever GONOSUMDB says.
 */
export function askScope(project: PlanInput | undefined, sumLines: SumLine[], toolchain: boolean, routing: ModuleRouting): Coverage {
  return coverage(project ? [...namedModules(project, sumLines), ...(toolchain ? ['golang.org/toolchain'] : [])] : [], routing)
}

/** Every module go.sum names, with the main modules' requirements and the modules they are replaced by. */
function namedModules(project: PlanInput, sumLines: SumLine[]): string[] {
  const replacements = [...project.workReplace, ...project.mains.flatMap(m => m.mod.replace)].flatMap(r => (isLocalPath(r.to.path) ? [] : [r.to.path]))
  return [...new Set([...sumLines.map(l => l.module), ...project.mains.flatMap(m => m.mod.require.map(r => r.path)), ...replacements])]
}

/** The probe's report when go asks no proxy: every candidate kept as given, and why none was asked. */
export function unprobed(candidates: Candidate[], scope: Coverage, gosumdb: string): ProbeReport {
  const settings = scope.reasons.join(' and ')
  const probes: ProbeResult[] = candidates.map(candidate => ({
    candidate,
    verdict: 'not probed',
    reason: candidate.keyword ? `${candidate.spec} is used as given` : `not needed: ${settings} covers every module`
  }))
  const database = parseGosumdb(gosumdb)
  const sumdb = !database ? '' : scope.noSumdb ? ` Nor was the checksum database ${database.name}: GONOSUMDB covers them too.` : ` go asks the checksum database ${database.name} itself for any module go.sum lacks.`
  const note = `No proxy was probed: ${settings} covers every module go.sum and go.mod name, so go fetches them all direct and asks no proxy.${sumdb} The candidates are passed on to later steps as given.`
  port.info(note)
  return { probes, chain: candidates, note }
}

/** Said when the checksum database go names was not probed because GONOSUMDB covers every module. */
export function sumdbUnasked(scope: Coverage, gosumdb: string): string | undefined {
  const database = parseGosumdb(gosumdb)
  if (!database || !scope.noSumdb) return undefined
  return `The checksum database ${database.name} was not probed: GONOSUMDB covers every module, so go asks it nothing.`
}
