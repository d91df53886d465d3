/**
 * MATPOWER case files (format version 2, see MATPOWER's CASEFORMAT) to a Feeder in ohms and kW.
 * Data matrices are read as they are; the closing conversion code of the newer feeder cases is run by
 * matpower-code.ts; the result is then read as plain MATPOWER: MW, MVAr, per-unit on baseMVA and
 * the bus baseKV. Only what a radial sweep can honour is accepted; the rest is refused by name.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { InputError } from '@zonal/core';
import type { Branch, Bus, Der, Feeder } from './types';
import { lexMatpower, type MatrixRow } from './matpower-lexer';
import { runCodeStatement, type CaseWorkspace } from './matpower-code';
import { validateFeeder } from './radial';
import type { RowLocator } from './validate';

/** Data fields read or knowingly ignored (OPF costs and names do not affect a power flow). */
const USED_MATRICES = ['bus', 'gen', 'branch'] as const;
const IGNORED_MATRICES = new Set(['gencost', 'areas']);
const IGNORED_CELLS = new Set(['bus_name', 'gentype', 'genfuel']);

/** Columns MATPOWER itself requires (CASEFORMAT: bus 13, gen 10, branch 11 in version 1 and up). */
const MIN_COLUMNS: Record<(typeof USED_MATRICES)[number], number> = { bus: 13, gen: 10, branch: 11 };

// 0-based column positions (MATPOWER idx_bus, idx_gen, idx_brch minus one).
const BUS = { I: 0, TYPE: 1, PD: 2, QD: 3, GS: 4, BS: 5, VM: 7, VA: 8, BASE_KV: 9 } as const;
const GEN = { BUS: 0, PG: 1, QG: 2, VG: 5, STATUS: 7 } as const;
const BRANCH = { F: 0, T: 1, R: 2, X: 3, B: 4, TAP: 8, SHIFT: 9, STATUS: 10 } as const;
const BUS_TYPE = { PQ: 1, PV: 2, REF: 3, NONE: 4 } as const;
/** Base voltage assumed when a file gives baseKV 0 on every bus (per-unit results do not depend on it). */
export const NOMINAL_BASE_KV = 1;

interface ReadCase {
  baseMva: number;
  rows: Record<(typeof USED_MATRICES)[number], MatrixRow[]>;
}

/** Lexes, runs the conversion code, and returns the final matrices with their source lines. */
function readCase(text: string, source: string): ReadCase {
  const ws: CaseWorkspace = { matrices: new Map(), scalars: new Map(), vars: new Map(), modified: new Set() };
  const lines = new Map<string, number[]>();
  const saysConvertedBelow = new Map<string, number>();
  for (const st of lexMatpower(text, source)) {
    if (st.kind === 'code') {
      runCodeStatement(ws, st.text, st.line, source);
    } else if (st.kind === 'cell') {
      if (!IGNORED_CELLS.has(st.field)) throw new InputError(`unknown code at line ${st.line}: mpc.${st.field} = {...} is not a field this reader knows`, source);
    } else {
      const used = (USED_MATRICES as readonly string[]).includes(st.field);
      if (!used && !IGNORED_MATRICES.has(st.field)) {
        throw new InputError(`unknown code at line ${st.line}: mpc.${st.field} is not supported by the radial feeder model`, source);
      }
      const width = st.rows[0]?.values.length ?? 0;
      const ragged = st.rows.find((r) => r.values.length !== width);
      if (ragged) {
        throw new InputError(`row has ${ragged.values.length} values, the first row of mpc.${st.field} ${width}`, `${source}:${ragged.line}`);
      }
      ws.matrices.set(st.field, st.rows.map((r) => r.values));
      lines.set(st.field, st.rows.map((r) => r.line));
      if (/convert/i.test(st.comment) && /below/i.test(st.comment)) saysConvertedBelow.set(st.field, st.line);
    }
  }
  // A file cut off before its conversion code would otherwise be read as pu/MW: wrong by 1000x.
  for (const [field, line] of saysConvertedBelow) {
    if (!ws.modified.has(field)) {
      throw new InputError(`mpc.${field} (line ${line}) says its values are converted below, but no code converts them (truncated file?)`, source);
    }
  }
  const baseMva = ws.scalars.get('baseMVA');
  if (baseMva === undefined) throw new InputError('mpc.baseMVA is missing (truncated file?)', source);
  const rows = {} as ReadCase['rows'];
  for (const field of USED_MATRICES) {
    const m = ws.matrices.get(field);
    if (!m || m.length === 0) throw new InputError(`mpc.${field} is missing or empty (truncated file?)`, source);
    const fieldLines = lines.get(field)!;
    rows[field] = m.map((values, i) => ({ values, line: fieldLines[i] }));
    const short = rows[field].find((r) => r.values.length < MIN_COLUMNS[field]);
    if (short) {
      throw new InputError(`mpc.${field} row has ${short.values.length} columns, MATPOWER needs at least ${MIN_COLUMNS[field]}`, `${source}:${short.line}`);
    }
  }
  return { baseMva, rows };
}

function refuse(message: string, source: string, row: MatrixRow, hint?: string): never {
  throw new InputError(message, `${source}:${row.line}`, hint);
}

function finite(row: MatrixRow, col: number, field: string, source: string): number {
  const v = row.values[col];
  if (!Number.isFinite(v)) refuse(`${field} must be a finite number, got ${v}`, source, row);
  return v;
}

export interface ParseOptions {
  /** How errors name the input (a path); defaults to the case name. */
  source?: string;
}

/** Parses MATPOWER text (MW/pu, or kW/ohm with the conversion code) to a validated Feeder. */
export function parseMatpower(text: string, name: string, opts: ParseOptions = {}): Feeder {
  const source = opts.source ?? name;
  const { baseMva, rows } = readCase(text.replace(/^\uFEFF/, ''), source);
  if (!Number.isFinite(baseMva) || baseMva <= 0) throw new InputError(`mpc.baseMVA must be > 0, got ${baseMva}`, source);

  const inServiceGens = rows.gen.filter((g) => g.values[GEN.STATUS] > 0);
  const genBuses = new Set(inServiceGens.map((g) => g.values[GEN.BUS]));
  const slackRow = rows.bus.find((r) => r.values[BUS.TYPE] === BUS_TYPE.REF);
  if (!slackRow) throw new InputError('no slack bus (no bus of type 3)', source);
  // Impedances are per-unit on the slack bus's base voltage (all buses must share it: checked later).
  // MATPOWER allows baseKV 0 ("not given") everywhere; a power flow needs only per-unit values, so
  // they are then carried on a nominal base and the ohm figures are nominal too.
  const baseKvGiven = rows.bus.some((r) => r.values[BUS.BASE_KV] !== 0);
  const baseKv = baseKvGiven ? slackRow.values[BUS.BASE_KV] : NOMINAL_BASE_KV;

  const buses: Bus[] = rows.bus.map((r) => {
    const id = r.values[BUS.I], type = r.values[BUS.TYPE];
    if (![BUS_TYPE.PQ, BUS_TYPE.PV, BUS_TYPE.REF, BUS_TYPE.NONE].includes(type as 1)) refuse(`bus ${id} has unknown type ${type}`, source, r);
    if (type === BUS_TYPE.NONE) refuse(`bus ${id} is isolated (type 4)`, source, r, 'remove the bus or connect it');
    // MATPOWER treats a PV bus without an in-service generator as PQ; with one, it holds voltage.
    if (type === BUS_TYPE.PV && genBuses.has(id)) {
      refuse(`bus ${id} is a voltage-controlled (PV) bus`, source, r, 'the radial sweep supports PQ buses and one slack; make it type 1 to inject fixed Pg/Qg');
    }
    if (finite(r, BUS.GS, 'Gs', source) !== 0 || finite(r, BUS.BS, 'Bs', source) !== 0) {
      refuse(`bus ${id} has a shunt (Gs/Bs); shunts are not part of the feeder model`, source, r);
    }
    const isSlack = type === BUS_TYPE.REF;
    if (isSlack && finite(r, BUS.VA, 'Va', source) !== 0) refuse(`slack bus ${id} has angle ${r.values[BUS.VA]} deg; it must be 0`, source, r);
    const gen = isSlack ? inServiceGens.find((g) => g.values[GEN.BUS] === id) : undefined;
    return {
      id,
      baseKv: baseKvGiven ? finite(r, BUS.BASE_KV, 'baseKV', source) : NOMINAL_BASE_KV,
      pdKw: finite(r, BUS.PD, 'Pd', source) * 1000,
      qdKvar: finite(r, BUS.QD, 'Qd', source) * 1000,
      isSlack,
      // MATPOWER holds the reference bus at its generator's Vg (the bus Vm when it has none).
      vmSetPu: gen ? finite(gen, GEN.VG, 'Vg', source) : isSlack ? finite(r, BUS.VM, 'Vm', source) : 1,
    };
  });

  const zBaseOhm = (baseKv * baseKv) / baseMva;
  const branches: Branch[] = rows.branch.map((r) => {
    const from = r.values[BRANCH.F], to = r.values[BRANCH.T];
    if (finite(r, BRANCH.B, 'b', source) !== 0) refuse(`branch ${from}-${to} has line charging b; not part of the feeder model`, source, r);
    const tap = finite(r, BRANCH.TAP, 'ratio', source), shift = finite(r, BRANCH.SHIFT, 'angle', source);
    if ((tap !== 0 && tap !== 1) || shift !== 0) refuse(`branch ${from}-${to} is a transformer (ratio ${tap}, angle ${shift}); not supported`, source, r);
    return {
      from, to,
      rOhm: finite(r, BRANCH.R, 'r', source) * zBaseOhm,
      xOhm: finite(r, BRANCH.X, 'x', source) * zBaseOhm,
      inService: finite(r, BRANCH.STATUS, 'status', source) > 0,
    };
  });

  const slackId = slackRow.values[BUS.I];
  const derRows = inServiceGens.filter((g) => g.values[GEN.BUS] !== slackId);
  const ders: Der[] = derRows.map((g) => ({
    bus: g.values[GEN.BUS],
    pGenKw: finite(g, GEN.PG, 'Pg', source) * 1000,
    qGenKvar: finite(g, GEN.QG, 'Qg', source) * 1000,
  }));

  const feeder: Feeder = {
    name, baseMva, baseKv, buses, branches,
    tieLines: branches.filter((b) => !b.inService),
    ...(ders.length > 0 ? { ders } : {}),
  };
  const locate: RowLocator = {
    bus: (pos) => `${source}:${rows.bus[pos].line}`,
    branch: (k) => `${source}:${rows.branch[k].line}`,
    der: (k) => `${source}:${derRows[k].line}`,
  };
  validateFeeder(feeder, locate);
  return feeder;
}

export function loadMatpowerFile(path: string): Feeder {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a case file' : `cannot read the file (${code ?? String(e)})`;
    throw new InputError(why, path);
  }
  if (text.trim().length === 0) throw new InputError('the file is empty', path);
  return parseMatpower(text, basename(path, extname(path)), { source: path });
}
