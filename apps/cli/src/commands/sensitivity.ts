import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '@zonal/core';
import { buildSimSetup, solveCentralised, uncoordinatedBusLoadKw } from '@zonal/coordination';
import { buildDispatchInputs, curtailedKwh, runDispatch, type DispatchResult } from '@zonal/dispatch';
import { loadScenario, parseScenario, type Scenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { table } from '../table';
import { action, printJson } from '../run';
import { summary } from './index';

/**
 * `zonal sensitivity`: one declared value at a time around the scenario's — V2G share, the capacity
 * price (seed 001's demand charge), battery wear — with "before coordination" (every EV charging on
 * arrival) and the centralised coordinated optimum of each variant (SPEC §8's oracle, which the
 * negotiation reaches within 0.5%).
 */
export function registerSensitivity(program: Command): void {
  program
    .command('sensitivity')
    .description(summary('sensitivity'))
    .option('--scenario <file>', 'scenario JSON file or built-in name', 'default')
    .option('--out <file.md>', 'also write the table as a Markdown page (e.g. docs/sensitivity.md)')
    .option('--json', 'print one JSON object instead of the table')
    .action(action(async (opts: { scenario: string; out?: string; json?: boolean }) => {
      try {
        if (opts.out !== undefined && !/\.md$/i.test(opts.out)) throw new InputError('must name a Markdown file (FILE.md)', '--out');
        const scenario = loadScenario(opts.scenario);
        const result = await computeSensitivity(scenario, DEFAULT_GRID, (line) => process.stderr.write(`${line}\n`));
        if (opts.out) {
          const path = resolve(opts.out);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, sensitivityMarkdown(result));
          process.stderr.write(`wrote ${opts.out}\n`);
        }
        if (opts.json) printJson(result);
        else printSensitivityTable(result);
      } finally {
        await shutdownSolver();
      }
    }));
}

/** The values each parameter takes; `null` capacity price = the demand charge off. */
export interface SensitivityGrid {
  v2gShare: number[];
  capacityYuanPerKvaMonth: Array<number | null>;
  wearYuanPerKwh: number[];
}

/** The study's values: seed 002's 0.05 yuan/kWh wear against the default's 1.25 (its `sources` say why). */
export const DEFAULT_GRID: SensitivityGrid = {
  v2gShare: [0, 0.15, 0.3, 0.5],
  capacityYuanPerKvaMonth: [null, 16, 32, 48],
  wearYuanPerKwh: [0.05, 0.5, 0.83, 1.25, 2.0],
};

type Parameter = 'v2gShare' | 'capacity' | 'wear';

export interface SensitivityRow {
  parameter: Parameter;
  /** The varied value (capacity price in yuan/kVA-month, null = off). */
  value: number | null;
  label: string;
  /** This is the scenario's own value. */
  declared: boolean;
  /** Eq 1 cost (+ EV degradation after), yuan/day; penalties (soft limits) apart. */
  costBeforeYuan: number; costAfterYuan: number;
  penaltyBeforeYuan: number; penaltyAfterYuan: number;
  degradationAfterYuan: number;
  /** Largest grid purchase at the substation, kW. */
  peakBeforeKw: number; peakAfterKw: number;
  emissionsBeforeT: number; emissionsAfterT: number;
  curtailmentBeforeKwh: number; curtailmentAfterKwh: number;
  /** Battery-side V2G discharge at the optimum: degradation / wear (null when wear is 0: no price to read it from). */
  v2gDischargeAfterKwh: number | null;
  violationsBefore: number; violationsAfter: number;
}

export interface SensitivityResult {
  scenario: string;
  seed: number;
  /** The scenario's own values, around which each parameter is varied. */
  declared: { v2gShare: number; capacityYuanPerKvaMonth: number | null; wearYuanPerKwh: number };
  rows: SensitivityRow[];
}

interface Variant { parameter: Parameter; value: number | null; label: string; declared: boolean }

const PARAMETER_NAME: Record<Parameter, string> = { v2gShare: 'V2G share', capacity: 'capacity price', wear: 'battery wear' };

function declaredValues(s: Scenario): SensitivityResult['declared'] {
  const dc = s.tariff.demandCharge;
  return { v2gShare: s.evFleet.v2gShare, capacityYuanPerKvaMonth: dc.enabled ? dc.yuanPerKvaMonth : null, wearYuanPerKwh: s.zones.degradationYuanPerKwh };
}

/** Every variant, parameter by parameter, each list with the scenario's own value in it (marked). */
function variants(s: Scenario, grid: SensitivityGrid): Variant[] {
  const d = declaredValues(s);
  const withDeclared = <T extends number | null>(values: T[], own: T) =>
    (values.includes(own) ? values : [...values, own]).slice().sort((a, b) => (a ?? -Infinity) - (b ?? -Infinity));
  const label = (p: Parameter, v: number | null) => {
    if (p === 'v2gShare') return `${PARAMETER_NAME[p]} ${v}`;
    if (p === 'capacity') return v === null ? `${PARAMETER_NAME[p]} off` : `${PARAMETER_NAME[p]} ${v} yuan/kVA-month`;
    return `${PARAMETER_NAME[p]} ${v} yuan/kWh${v === 0.05 ? ' (seed 002)' : ''}`;
  };
  const of = (p: Parameter, values: Array<number | null>, own: number | null): Variant[] =>
    withDeclared(values, own).map((v) => ({ parameter: p, value: v, label: label(p, v), declared: v === own }));
  return [
    ...(grid.v2gShare.length ? of('v2gShare', grid.v2gShare, d.v2gShare) : []),
    ...(grid.capacityYuanPerKvaMonth.length ? of('capacity', grid.capacityYuanPerKvaMonth, d.capacityYuanPerKvaMonth) : []),
    ...(grid.wearYuanPerKwh.length ? of('wear', grid.wearYuanPerKwh, d.wearYuanPerKwh) : []),
  ];
}

/** The scenario with one value changed, validated as any scenario file is. */
function variantScenario(s: Scenario, v: Variant): Scenario {
  const raw = structuredClone(s);
  if (v.parameter === 'v2gShare') raw.evFleet.v2gShare = v.value!;
  else if (v.parameter === 'wear') raw.zones.degradationYuanPerKwh = v.value!;
  else if (v.value === null) raw.tariff.demandCharge.enabled = false;
  else raw.tariff.demandCharge = { ...raw.tariff.demandCharge, enabled: true, yuanPerKvaMonth: v.value };
  return parseScenario(raw, `scenario "${s.name}" with ${v.label}`);
}

type Measured = Omit<SensitivityRow, 'parameter' | 'value' | 'label' | 'declared'>;

/** Before coordination and the centralised optimum of one scenario. */
async function measure(s: Scenario): Promise<Measured> {
  const sim = await buildSimSetup(s);
  const dt = sim.inputs.grid.dtH;
  const before = await runDispatch(buildDispatchInputs(sim.scenario, sim.feeder, uncoordinatedBusLoadKw(sim)), {});
  const c = await solveCentralised(sim);
  const after = c.dispatch;
  const peak = (d: DispatchResult) => Math.max(...d.schedule.pGridKw);
  const wear = s.zones.degradationYuanPerKwh;
  return {
    costBeforeYuan: before.costs.totalYuan, costAfterYuan: c.totalCostYuan,
    penaltyBeforeYuan: before.costs.penaltyYuan, penaltyAfterYuan: after.costs.penaltyYuan,
    degradationAfterYuan: c.degradationYuan,
    peakBeforeKw: peak(before), peakAfterKw: peak(after),
    emissionsBeforeT: before.emissionsT, emissionsAfterT: after.emissionsT,
    curtailmentBeforeKwh: curtailedKwh(before, dt), curtailmentAfterKwh: curtailedKwh(after, dt),
    // Every zone takes the scenario's wear (zones.degradationYuanPerKwh), so degradation / wear is the discharge.
    v2gDischargeAfterKwh: wear > 0 ? c.degradationYuan / wear : null,
    violationsBefore: before.acCheck.violations.length, violationsAfter: after.acCheck.violations.length,
  };
}

/**
 * Every variant of `grid` around the scenario's values, before coordination and at the centralised
 * optimum. A variant equal to the scenario (each parameter's declared value) is solved once.
 */
export async function computeSensitivity(scenario: Scenario, grid: SensitivityGrid = DEFAULT_GRID, progress?: (line: string) => void): Promise<SensitivityResult> {
  const list = variants(scenario, grid);
  const solved = new Map<string, Measured>();
  const rows: SensitivityRow[] = [];
  const t0 = performance.now();
  for (const [i, v] of list.entries()) {
    const s = variantScenario(scenario, v);
    const key = JSON.stringify(s);
    let m = solved.get(key);
    if (!m) {
      m = await measure(s);
      solved.set(key, m);
    }
    rows.push({ parameter: v.parameter, value: v.value, label: v.label, declared: v.declared, ...m });
    progress?.(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${i + 1}/${list.length} ${v.label}${v.declared ? ' (scenario)' : ''}: ` +
      `cost ${int(m.costBeforeYuan + m.penaltyBeforeYuan)} → ${int(m.costAfterYuan + m.penaltyAfterYuan)} yuan incl. penalties, ` +
      `peak ${int(m.peakBeforeKw)} → ${int(m.peakAfterKw)} kW`);
  }
  return { scenario: scenario.name, seed: scenario.seed, declared: declaredValues(scenario), rows };
}

const int = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 0 });
const fixed = (v: number, digits: number) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pair = (a: string, b: string) => `${a} / ${b}`;

export const AFTER_NOTE = 'after = the centralised coordinated optimum, which the negotiation reaches within 0.5% (SPEC §8)';

/** Column heads: what, and its unit with "before / after" (two lines on a terminal, one in Markdown). */
const HEAD: Array<[string, string]> = [
  ['variant', ''],
  ['cost incl. degradation', 'yuan, before / after'],
  ['penalties', 'yuan, before / after'],
  ['substation peak', 'kW, before / after'],
  ['CO2', 't, before / after'],
  ['curtailment', 'kWh, before / after'],
  ['V2G discharged', 'kWh, after'],
  ['violations', 'before / after'],
];

function cells(r: SensitivityRow): string[] {
  return [
    `${r.label}${r.declared ? ' *' : ''}`,
    pair(int(r.costBeforeYuan), int(r.costAfterYuan)),
    pair(int(r.penaltyBeforeYuan), int(r.penaltyAfterYuan)),
    pair(int(r.peakBeforeKw), int(r.peakAfterKw)),
    pair(fixed(r.emissionsBeforeT, 2), fixed(r.emissionsAfterT, 2)),
    pair(fixed(r.curtailmentBeforeKwh, 1), fixed(r.curtailmentAfterKwh, 1)),
    r.v2gDischargeAfterKwh === null ? '—' : int(r.v2gDischargeAfterKwh),
    pair(String(r.violationsBefore), String(r.violationsAfter)),
  ];
}

/** "Coordination raises CO2 in: …", from the rows (each distinct variant once), or null when it never does. */
function co2RiseNote(r: SensitivityResult): string | null {
  const seen = new Set<string>();
  const rises = r.rows.filter((row) => row.emissionsAfterT - row.emissionsBeforeT >= 0.005).flatMap((row) => {
    const what = row.declared ? 'the scenario as declared' : row.label;
    if (seen.has(what)) return [];
    seen.add(what);
    return [`${what} (+${fixed(row.emissionsAfterT - row.emissionsBeforeT, 2)} t)`];
  });
  return rises.length ? `Coordination raises CO2 in: ${rises.join(', ')}.` : null;
}

function printSensitivityTable(r: SensitivityResult): void {
  console.log(`Sensitivity — scenario "${r.scenario}" (seed ${r.seed}); ${AFTER_NOTE}`);
  const t = table({ head: HEAD.map(([what, unit]) => (unit ? `${what}\n${unit}` : what)), colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'] });
  for (const row of r.rows) t.push(cells(row));
  console.log(t.toString());
  console.log('* the scenario\'s own value');
  const note = co2RiseNote(r);
  if (note) console.log(note);
}

/** The Markdown page `zonal sensitivity --out FILE.md` writes (docs/sensitivity.md). */
export function sensitivityMarkdown(r: SensitivityResult): string {
  const d = r.declared;
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    '# Sensitivity: V2G share, capacity price, battery wear',
    '',
    'One declared value at a time is varied around the scenario\'s own (marked \\*): the share of EVs enrolled in V2G ' +
      '(`evFleet.v2gShare`), the capacity price of seed 001\'s demand charge on the day\'s maximum purchase ' +
      '(`tariff.demandCharge`, "off" = no charge) and the EV battery wear per kWh discharged ' +
      '(`zones.degradationYuanPerKwh`; 0.05 is seed 002\'s). Each variant is dispatched twice: before coordination ' +
      '(every EV charging at full power on arrival) and at the centralised coordinated optimum, which the negotiation ' +
      'reaches within 0.5% (SPEC §8). Costs are eq 1 (purchase, diesel, curtailment, carbon, capacity charge) plus EV ' +
      'degradation, per day; soft-limit penalties are on their own; the peak is the largest grid purchase; V2G ' +
      'discharged is battery-side energy at the optimum (its degradation divided by the wear); violations are ' +
      'bus-hours of the AC check. Generated by `npx zonal sensitivity --out docs/sensitivity.md`; run it again to regenerate.',
    '',
    `Scenario: \`${r.scenario}\` (seed ${r.seed}); declared V2G share ${d.v2gShare}, capacity price ` +
      `${d.capacityYuanPerKvaMonth === null ? 'off' : `${d.capacityYuanPerKvaMonth} yuan/kVA-month`}, battery wear ${d.wearYuanPerKwh} yuan/kWh.`,
    '',
    `| ${HEAD.map(([what, unit], i) => escape(i === 0 ? `variant (${AFTER_NOTE})` : `${what} (${unit})`)).join(' | ')} |`,
    `| ${HEAD.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...r.rows.map((row) => `| ${cells(row).map((c) => escape(c.replace(/ \*$/, ' \\*'))).join(' | ')} |`),
    '',
    '\\* the scenario\'s own value.',
    '',
  ];
  const note = co2RiseNote(r);
  if (note) lines.push(note, '');
  return lines.join('\n');
}
