import { rmSync } from 'node:fs';
import type { Command } from 'commander';
import { createRng, InputError, isZonalError } from '@zonal/core';
import { loadZoneParty } from '@zonal/coordination';
import {
  caseZoneOf, declaredZoneSettings, defaultCasePath, getPolicy, placeCaseZone, policyNames, writeCaseZone,
  type PolicyReport, type ZonePolicy,
} from '@zonal/policies';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { LpExporter, shutdownSolver } from '@zonal/solver';
import { table } from '../table';
import { action, printJson } from '../run';
import { summary } from './index';

interface PolicyOptions {
  scenario?: string;
  json?: boolean;
  exportLp?: string;
  zoneFile?: string;
  zoneId?: string;
  buses?: string;
  timePeriods?: string;
}

export function registerPolicy(program: Command): void {
  program
    .command('policy')
    .argument('<name>', `zone policy: ${policyNames().join(', ')}`)
    .description(summary('policy'))
    .option('--scenario <file>', 'policy case JSON (default: the shipped case of the policy)')
    .option('--json', 'print one JSON object instead of tables')
    .option('--export-lp <dir>', 'write every solved model as a CPLEX LP file (0001-<policy>.lp, ...)')
    .option('--zone-file <out.json>', 'write the case as a zone file (and its sessions as <out>-sessions.csv beside it) instead of running it')
    .option('--zone-id <k>', 'with --zone-file: the zone\'s id in the DSO\'s zone list')
    .option('--buses <list>', 'with --zone-file: the zone\'s feeder buses, e.g. 9,10,11,12; the EVs go to them round-robin')
    .option('--time-periods <n>', 'with --zone-file: periods of the zone\'s 24 h day, to match the DSO\'s grid (default: the default scenario\'s)')
    .action(action(async (name: string, opts: PolicyOptions) => {
      const policy = getPolicy(name);
      const path = opts.scenario ?? defaultCasePath(name);
      if (!path) throw new InputError(`policy ${name} ships no default case`, '--scenario', 'give a case file with --scenario');
      if (opts.zoneFile !== undefined) return writeZoneFile(policy, path, opts);
      for (const flag of ['zoneId', 'buses', 'timePeriods'] as const) {
        if (opts[flag] !== undefined) throw new InputError('is used only with --zone-file', `--${flag.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`);
      }
      try {
        const c = parseWithSchema(policy.caseSchema, readJsonFile(path), path) as { seed: number };
        const exporter = new LpExporter(opts.exportLp, name);
        const report = await policy.runCase(c, { exporter, rng: createRng(c.seed) });
        if (opts.json) printJson({ policy: report.policy, case: report.caseName, seed: report.seed, objective: report.objective, ...report.rows, notes: report.notes, lpFiles: exporter.files });
        else printReport(report, exporter.files);
      } finally {
        await shutdownSolver();
      }
    }));
}

/**
 * `--zone-file`: the case as one zone (ZonePolicy.caseZone), placed on the given buses and grid,
 * written with its sessions CSV beside it, and loaded back as a zone agent would load it.
 */
function writeZoneFile(policy: ZonePolicy<unknown>, casePath: string, opts: PolicyOptions): void {
  if (opts.exportLp !== undefined) throw new InputError('is not used with --zone-file: writing a zone file solves nothing', '--export-lp');
  const out = opts.zoneFile!;
  if (!/\.json$/i.test(out)) throw new InputError(`must name the zone file to write, ending in .json, got "${out}"`, '--zone-file');
  const id = integerFlag('--zone-id', opts.zoneId);
  if (opts.buses === undefined) throw new InputError('is required with --zone-file: the zone\'s feeder buses, e.g. --buses 9,10,11,12', '--buses');
  const buses = opts.buses.split(',').map((b) => b.trim());
  if (buses.some((b) => !/^\d+$/.test(b))) throw new InputError(`must be a comma-separated list of bus ids, e.g. 9,10,11,12; got "${opts.buses}"`, '--buses');
  const periods = opts.timePeriods === undefined ? declaredZoneSettings().time.periods : integerFlag('--time-periods', opts.timePeriods);

  if (!policy.caseZone) throw new InputError('cannot turn its case into a zone file', `policy ${policy.name}`);
  const c = parseWithSchema(policy.caseSchema, readJsonFile(casePath), casePath) as { name: string; seed: number };
  let cz;
  try {
    cz = caseZoneOf(policy, c);
  } catch (e) {
    // A case field the zone cannot take: named in the case file, as a bad field of its schema is.
    if (!(e instanceof InputError)) throw e;
    const bare = e.where ? e.message.slice(e.where.length + 2) : e.message;
    throw new InputError(bare, e.where ? `${casePath}: ${e.where}` : casePath, e.hint);
  }
  const placed = placeCaseZone(policy, cz, { id, buses: buses.map(Number), periods, names: { id: '--zone-id', buses: '--buses', periods: '--time-periods' } });
  const files = writeCaseZone(out, placed, '--zone-file');
  let party;
  try {
    party = loadZoneParty(files.zoneFile);
  } catch (e) {
    // What we wrote must load: a zone file that does not is a bug here, and is not left behind.
    rmSync(files.zoneFile, { force: true });
    rmSync(files.sessionsFile, { force: true });
    throw isZonalError(e) ? new Error(`the zone file written for policy ${policy.name} does not load back: ${e.message}`) : e;
  }
  const { config } = placed;
  const storage = (config.storage ?? []).map((s) => s.id);
  const summary = {
    policy: policy.name, case: c.name, seed: c.seed, zoneFile: files.zoneFile, sessionsFile: files.sessionsFile,
    zoneId: config.id, buses: config.buses, time: config.time,
    evs: placed.sessions.length, evsScheduled: party.problem.envelope.evCount, evsLeftOut: party.excluded.map((p) => p.message),
    envelopeGroups: party.problem.envelopeGroups.length, storage, params: config.policy.params ?? null, notes: placed.notes,
  };
  if (opts.json) {
    printJson(summary);
    return;
  }
  console.log(`policy ${policy.name} — case "${c.name}" (seed ${c.seed}) as zone ${config.id} on buses ${config.buses.join(',')}, ${config.time.periods} periods of ${config.time.dtH} h`);
  console.log(`wrote ${files.zoneFile} and ${files.sessionsFile}: ${placed.sessions.length} sessions over the buses round-robin` +
    `${storage.length ? `, storage ${storage.join(', ')}` : ''}, policy ${policy.name}${config.policy.params === undefined ? '' : ` with params ${JSON.stringify(config.policy.params)}`}`);
  console.log(`loaded back as a zone file: ${party.problem.envelope.evCount} sessions scheduled in ${party.problem.envelopeGroups.length} envelope groups, ${party.excluded.length} left out` +
    `${party.excluded.length ? ` (e.g. ${party.excluded[0].message})` : ''}`);
  for (const n of placed.notes) console.log(`note: ${n}`);
}

function integerFlag(flag: string, raw: string | undefined): number {
  if (raw === undefined) throw new InputError('is required with --zone-file', flag);
  if (!/^\s*\d+\s*$/.test(raw) || Number(raw) < 1) throw new InputError(`must be a whole number >= 1, got "${raw}"`, flag);
  return Number(raw);
}

function printReport(r: PolicyReport, lpFiles: string[]): void {
  console.log(`policy ${r.policy} — case "${r.caseName}" (seed ${r.seed})`);
  for (const t of r.tables) {
    console.log(`\n${t.title}`);
    const out = table({ head: t.head, style: { head: [] } });
    for (const row of t.rows) out.push(row.map(String));
    console.log(out.toString());
  }
  for (const n of r.notes) console.log(`note: ${n}`);
  console.log(`optimiser objective (last solve): ${r.objective.toFixed(4)}`);
  if (lpFiles.length) console.log(`LP files: ${lpFiles.join(', ')}`);
}
