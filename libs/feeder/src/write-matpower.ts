/**
 * Writes a feeder as a plain MATPOWER case (MW, MVAr, per-unit on baseMVA and the feeder's baseKV,
 * no conversion code), so any feeder can be fed to `zonal pf` or to MATPOWER itself.
 */
import type { Feeder } from './types';

/** Shortest text that reads back to the same double. */
const num = (v: number): string => String(v);

function matlabName(name: string): string {
  const id = name.replace(/\W/g, '_');
  return /^[A-Za-z]/.test(id) ? id : `case_${id}`;
}

/** Bus Vmax/Vmin and generator limits are OPF data that a power flow ignores; written as MATPOWER's defaults. */
const VMAX_PU = 1.1, VMIN_PU = 0.9, GEN_LIMIT_MVA = 100, GEN_MBASE_MVA = 100;

export function writeMatpower(feeder: Feeder): string {
  const zBaseOhm = (feeder.baseKv * feeder.baseKv) / feeder.baseMva;
  const slack = feeder.buses.find((b) => b.isSlack);
  const genRow = (bus: number, pMw: number, qMvar: number, vgPu: number) =>
    [bus, pMw, qMvar, GEN_LIMIT_MVA, -GEN_LIMIT_MVA, vgPu, GEN_MBASE_MVA, 1, GEN_LIMIT_MVA, 0].map(num).join('\t');
  const name = matlabName(feeder.name);
  const lines = [
    `function mpc = ${name}`,
    `%${name.toUpperCase()}  Radial feeder "${feeder.name}" written by @zonal/feeder writeMatpower.`,
    '%   Plain MATPOWER format: Pd, Qd in MW and MVAr; r, x in per-unit on baseMVA and the bus baseKV.',
    '',
    "mpc.version = '2';",
    `mpc.baseMVA = ${num(feeder.baseMva)};`,
    '',
    '%% bus data',
    '%\tbus_i\ttype\tPd\tQd\tGs\tBs\tarea\tVm\tVa\tbaseKV\tzone\tVmax\tVmin',
    'mpc.bus = [',
    ...feeder.buses.map((b) => {
      const row = [b.id, b.isSlack ? 3 : 1, b.pdKw / 1000, b.qdKvar / 1000, 0, 0, 1, b.isSlack ? b.vmSetPu : 1, 0, b.baseKv, 1, VMAX_PU, VMIN_PU];
      return `\t${row.map(num).join('\t')};`;
    }),
    '];',
    '',
    '%% generator data',
    '%\tbus\tPg\tQg\tQmax\tQmin\tVg\tmBase\tstatus\tPmax\tPmin',
    'mpc.gen = [',
    ...(slack ? [`\t${genRow(slack.id, 0, 0, slack.vmSetPu)};`] : []),
    ...(feeder.ders ?? []).map((d) => `\t${genRow(d.bus, d.pGenKw / 1000, d.qGenKvar / 1000, 1)};`),
    '];',
    '',
    '%% branch data',
    '%\tfbus\ttbus\tr\tx\tb\trateA\trateB\trateC\tratio\tangle\tstatus\tangmin\tangmax',
    'mpc.branch = [',
    ...feeder.branches.map((br) => {
      const row = [br.from, br.to, br.rOhm / zBaseOhm, br.xOhm / zBaseOhm, 0, 0, 0, 0, 0, 0, br.inService ? 1 : 0, -360, 360];
      return `\t${row.map(num).join('\t')};`;
    }),
    '];',
    '',
  ];
  return lines.join('\n');
}
